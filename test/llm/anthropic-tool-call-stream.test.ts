// Tools in a streamed chat: the tool_use block becomes a tool_calls delta with id and name,
// then the input_json_delta fragments as argument fragments, then finish_reason tool_calls.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setupAnthropic } from './anthropic-support.js';

test('anthropic: streamed tool call with argument fragments', { timeout: 30_000 }, async (t) => {
  const { client } = await setupAnthropic(t);
  const stream = await client.chat.completions.create({
    model: 'claude', messages: [{ role: 'user', content: 'Weather in Paris?' }], stream: true,
    tools: [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } } }],
  });
  const calls = [];
  let text = '';
  const finishes = [];
  for await (const c of stream) {
    const ch = c.choices[0];
    if (ch === undefined) continue;
    text += ch.delta.content ?? '';
    for (const tc of ch.delta.tool_calls ?? []) calls.push(tc);
    if (ch.finish_reason != null) finishes.push(ch.finish_reason);
  }
  assert.equal(text, 'Let me check.');
  assert.deepEqual(calls[0], { index: 0, id: 'toolu_1', type: 'function', function: { name: 'get_weather', arguments: '' } });
  assert.deepEqual(calls.slice(1).map((c) => c.function?.arguments), ['{"ci', 'ty": "Par', 'is"}']);
  assert.ok(calls.every((c) => c.index === 0));
  assert.deepEqual(JSON.parse(calls.map((c) => c.function?.arguments ?? '').join('')), { city: 'Paris' });
  assert.deepEqual(finishes, ['tool_calls']);
});
