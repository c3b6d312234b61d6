// A thinking model's thought signature on a functionCall travels in the OpenAI tool call id
// (call_<n>__thought__<signature>) and goes back on the functionCall part of the next
// request, as Gemini 3 requires; the tool result still carries the function's name.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setupGemini, TOOLS } from './gemini-support.js';

const SIG = 'CiQBcsjafQ2+sig/base64==';

test('gemini: thought signatures round-trip in tool call ids', { timeout: 30_000 }, async (t) => {
  const { fake, client } = await setupGemini(t);
  fake.on((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({
      candidates: [{ content: { role: 'model', parts: [{ functionCall: { name: 'get_weather', args: { city: 'Paris' } }, thoughtSignature: SIG }] }, finishReason: 'STOP' }],
      usageMetadata: { promptTokenCount: 3, candidatesTokenCount: 2 },
    }));
  });
  const first = await client.chat.completions.create({ model: 'gem', messages: [{ role: 'user', content: 'weather?' }], tools: TOOLS });
  const call = first.choices[0]!.message.tool_calls![0]!;
  assert.equal(call.id, `call_0__thought__${SIG}`);
  assert.equal(first.choices[0]!.finish_reason, 'tool_calls');

  await client.chat.completions.create({
    model: 'gem', tools: TOOLS,
    messages: [{ role: 'user', content: 'weather?' }, first.choices[0]!.message, { role: 'tool', tool_call_id: call.id, content: 'sunny' }],
  });
  assert.deepEqual(fake.received[1]!.body.contents.slice(1), [
    { role: 'model', parts: [{ functionCall: { name: 'get_weather', args: { city: 'Paris' } }, thoughtSignature: SIG }] },
    { role: 'user', parts: [{ functionResponse: { name: 'get_weather', response: { output: 'sunny' } } }] },
  ]);
});
