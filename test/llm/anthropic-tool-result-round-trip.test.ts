// A tool result round trip: the assistant's tool_calls go upstream as tool_use blocks (with
// parsed input), consecutive tool messages as one user turn of tool_result blocks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setupAnthropic } from './anthropic-support.js';

test('anthropic: tool results go back as one user turn of tool_result blocks', { timeout: 30_000 }, async (t) => {
  const { fake, client } = await setupAnthropic(t);
  const completion = await client.chat.completions.create({
    model: 'claude',
    tools: [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object' } } }],
    messages: [
      { role: 'user', content: 'Weather in Paris and Rome?' },
      { role: 'assistant', content: null, tool_calls: [
        { id: 'toolu_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
        { id: 'toolu_2', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Rome"}' } },
      ] },
      { role: 'tool', tool_call_id: 'toolu_1', content: 'sunny' },
      { role: 'tool', tool_call_id: 'toolu_2', content: [{ type: 'text', text: 'rainy' }] },
    ],
  });
  assert.equal(completion.choices[0]!.message.content, 'Hello world');
  assert.deepEqual(fake.received[0]!.body.messages, [
    { role: 'user', content: [{ type: 'text', text: 'Weather in Paris and Rome?' }] },
    { role: 'assistant', content: [
      { type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: { city: 'Paris' } },
      { type: 'tool_use', id: 'toolu_2', name: 'get_weather', input: { city: 'Rome' } },
    ] },
    { role: 'user', content: [
      { type: 'tool_result', tool_use_id: 'toolu_1', content: 'sunny' },
      { type: 'tool_result', tool_use_id: 'toolu_2', content: [{ type: 'text', text: 'rainy' }] },
    ] },
  ]);
});
