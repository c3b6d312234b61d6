// A gemini stream carries one usage chunk (after the finish chunk) only when the client asks
// with stream_options.include_usage; the usage is the final usageMetadata's.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setupGemini } from './gemini-support.js';

test('gemini: usage chunk only with include_usage', { timeout: 30_000 }, async (t) => {
  const { client } = await setupGemini(t);
  const read = async (includeUsage: boolean | undefined) => {
    const stream = await client.chat.completions.create({
      model: 'gem', messages: [{ role: 'user', content: 'hi' }], stream: true,
      ...(includeUsage === undefined ? {} : { stream_options: { include_usage: includeUsage } }),
    });
    const chunks = [];
    for await (const c of stream) chunks.push(c);
    return chunks;
  };
  const on = await read(true);
  const withUsage = on.filter((c) => c.usage != null);
  assert.equal(withUsage.length, 1);
  assert.equal(on.at(-1), withUsage[0]);
  assert.deepEqual(withUsage[0]!.choices, []);
  assert.deepEqual(withUsage[0]!.usage, { prompt_tokens: 28, completion_tokens: 9, total_tokens: 37, prompt_tokens_details: { cached_tokens: 5 } });
  for (const off of [await read(false), await read(undefined)]) {
    assert.equal(off.filter((c) => c.usage != null).length, 0);
    assert.equal(off.at(-1)!.choices[0]!.finish_reason, 'stop');
  }
});
