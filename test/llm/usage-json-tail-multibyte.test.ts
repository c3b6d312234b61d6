// JsonUsageTail finds "usage" in the answer's bytes and decodes only what follows: multi-byte
// text before it and a rolling tail that starts in the middle of a character read as they
// did when the whole tail was decoded (content that mentions usage, escaped, is no match).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { JsonUsageTail } from '../../src/llm/usage.js';

const USAGE = { prompt_tokens: 41, completion_tokens: 7, total_tokens: 48, prompt_tokens_details: { cached_tokens: 32 } };
const read = (body: string, step: number): unknown => {
  const tail = new JsonUsageTail();
  const bytes = Buffer.from(body);
  for (let i = 0; i < bytes.length; i += step) tail.push(bytes.subarray(i, i + step));
  return tail.usage();
};

test('usage after multi-byte content, in a tail cut inside a character', () => {
  // 3-byte characters, more than the 64 KiB tail: the tail starts mid-character for some cut.
  const content = 'ø€語"usage": {"prompt_tokens": 1} '.repeat(3000);
  const body = JSON.stringify({ id: 'x', choices: [{ index: 0, message: { role: 'assistant', content } }], usage: USAGE });
  for (const step of [1000, 7001, 65_537, body.length]) {
    assert.deepEqual(read(body, step), { inputTokens: 41, outputTokens: 7, cacheReadTokens: 32, cacheWriteTokens: null });
  }
});

test('no "usage" at all: null', () => {
  assert.equal(read(JSON.stringify({ id: 'x', choices: [], note: 'ø€語' }), 5), null);
});
