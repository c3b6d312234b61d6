// Token counts are remembered per text (estimate.ts): a text seen before, one evicted since
// (past the cache's character bound) and one too long to be remembered all still count
// exactly what the tokenizer says.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { countTokens } from 'gpt-tokenizer/encoding/o200k_base';
import { estimateRequestTokens } from '../../src/llm/estimate.js';

/** The estimate of one user message with `text`: its tokens plus `user` and OpenAI's framing. */
const expected = (text: string): number => countTokens('user') + countTokens(text) + 3 + 3;
const body = (text: string): Record<string, unknown> => ({ messages: [{ role: 'user', content: text }] });

test('a remembered, an evicted and a too-long text all count as the tokenizer does', () => {
  const first = 'You are a careful assistant. Count me once, then remember me.';
  assert.equal(estimateRequestTokens(body(first)), expected(first));
  assert.equal(estimateRequestTokens(body(first)), expected(first));

  // About 2 MB of distinct texts: more than the cache holds, so `first` is evicted.
  const filler = 'lorem ipsum dolor sit amet, consectetur adipiscing elit. '.repeat(160);
  for (let i = 0; i < 220; i++) {
    const text = `${i} ${filler}`;
    if (i % 50 === 0) assert.equal(estimateRequestTokens(body(text)), expected(text));
    else estimateRequestTokens(body(text));
  }
  assert.equal(estimateRequestTokens(body(first)), expected(first));

  const long = 'A long document that is never kept whole. '.repeat(2000);
  assert.equal(estimateRequestTokens(body(long)), expected(long));
  assert.equal(estimateRequestTokens(body(long)), expected(long));
});
