// A tool round trip with a gemini model: the assistant's tool call goes back as a model-turn
// functionCall, and each tool message as a user-turn functionResponse named after the
// function of the tool call it answers (looked up by tool_call_id); several results share
// one user turn. A tool_call_id that matches no call is a 400.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { setupGemini, TOOLS } from './gemini-support.js';

test('gemini: tool results carry the function name', { timeout: 30_000 }, async (t) => {
  const { fake, client } = await setupGemini(t);
  const completion = await client.chat.completions.create({
    model: 'gem', tools: TOOLS,
    messages: [
      { role: 'user', content: 'weather in Paris and the time?' },
      {
        role: 'assistant', content: null, tool_calls: [
          { id: 'call_0', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
          { id: 'call_1', type: 'function', function: { name: 'get_time', arguments: '' } },
        ],
      },
      { role: 'tool', tool_call_id: 'call_1', content: '12:00' },
      { role: 'tool', tool_call_id: 'call_0', content: '{"temp":21}' },
    ],
  });
  assert.equal(completion.choices[0]!.message.content, 'Hello world');
  assert.deepEqual(fake.received[0]!.body.contents, [
    { role: 'user', parts: [{ text: 'weather in Paris and the time?' }] },
    { role: 'model', parts: [{ functionCall: { name: 'get_weather', args: { city: 'Paris' } } }, { functionCall: { name: 'get_time', args: {} } }] },
    { role: 'user', parts: [
      { functionResponse: { name: 'get_time', response: { output: '12:00' } } },
      { functionResponse: { name: 'get_weather', response: { temp: 21 } } },
    ] },
  ]);

  const err = await client.chat.completions.create({
    model: 'gem', messages: [{ role: 'user', content: 'x' }, { role: 'tool', tool_call_id: 'call_9', content: 'r' }],
  }).then(() => null, (e: unknown) => e);
  assert.ok(err instanceof OpenAI.BadRequestError, String(err));
  assert.match(err.message, /messages\[1\]\.tool_call_id/);
  assert.equal(fake.received.length, 1);
});
