// A translated stream ends with a usage chunk (choices: []) if and only if the client asked
// with stream_options.include_usage.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setupAnthropic } from './anthropic-support.js';

test('anthropic: usage chunk only with include_usage', { timeout: 30_000 }, async (t) => {
  const { client } = await setupAnthropic(t);
  const read = async (includeUsage: boolean) => {
    const stream = await client.chat.completions.create({
      model: 'claude', messages: [{ role: 'user', content: 'hi' }], stream: true,
      ...(includeUsage ? { stream_options: { include_usage: true } } : {}),
    });
    const chunks = [];
    for await (const c of stream) chunks.push(c);
    return chunks;
  };
  const withUsage = await read(true);
  const last = withUsage.at(-1)!;
  assert.deepEqual(last.choices, []);
  assert.deepEqual(last.usage, { prompt_tokens: 28, completion_tokens: 9, total_tokens: 37, prompt_tokens_details: { cached_tokens: 5 } });
  assert.equal(withUsage.filter((c) => c.usage != null).length, 1);
  const without = await read(false);
  assert.equal(without.filter((c) => c.usage != null).length, 0);
  assert.ok(without.every((c) => c.choices.length === 1));
});
