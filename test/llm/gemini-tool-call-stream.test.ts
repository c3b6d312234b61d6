// A streamed gemini functionCall (Gemini sends it whole) becomes one tool_calls delta with
// the id, the name and the full arguments; the SDK's stream helper assembles it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setupGemini, TOOLS } from './gemini-support.js';

test('gemini: tool call (stream)', { timeout: 30_000 }, async (t) => {
  const { client } = await setupGemini(t);
  const stream = await client.chat.completions.create({ model: 'gem', messages: [{ role: 'user', content: 'weather?' }], tools: TOOLS, stream: true });
  const chunks = [];
  for await (const c of stream) chunks.push(c);
  const deltas = chunks.flatMap((c) => c.choices[0]?.delta.tool_calls ?? []);
  assert.deepEqual(deltas, [{ index: 0, id: 'call_0', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }]);
  assert.equal(chunks.map((c) => c.choices[0]?.delta.content ?? '').join(''), 'Let me check.');
  assert.equal(chunks.at(-1)!.choices[0]!.finish_reason, 'tool_calls');

  const runner = client.chat.completions.stream({ model: 'gem', messages: [{ role: 'user', content: 'weather?' }], tools: TOOLS });
  const final = await runner.finalChatCompletion();
  assert.deepEqual(final.choices[0]!.message.tool_calls?.map((c) => ({ id: c.id, name: c.type === 'function' ? c.function.name : '', args: c.type === 'function' ? c.function.arguments : '' })), [{ id: 'call_0', name: 'get_weather', args: '{"city":"Paris"}' }]);
});
