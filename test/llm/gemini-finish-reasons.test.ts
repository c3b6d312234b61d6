// Gemini finish reasons and usage: MAX_TOKENS → length, SAFETY and friends → content_filter,
// a blocked prompt (no candidates) → content_filter with no content; thoughts are not text
// but count as completion (reasoning) tokens.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setupGemini } from './gemini-support.js';

test('gemini: finish reasons, blocked prompt, thoughts', { timeout: 30_000 }, async (t) => {
  const { fake, client } = await setupGemini(t);
  const answer = (body: Record<string, unknown>) => fake.on((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  });
  const call = () => client.chat.completions.create({ model: 'gem', messages: [{ role: 'user', content: 'hi' }] });
  for (const [reason, expected] of [['MAX_TOKENS', 'length'], ['SAFETY', 'content_filter'], ['RECITATION', 'content_filter'], ['PROHIBITED_CONTENT', 'content_filter'], ['OTHER', 'stop']]) {
    answer({ candidates: [{ content: { role: 'model', parts: [{ text: 'Hel' }] }, finishReason: reason }], usageMetadata: { promptTokenCount: 3, candidatesTokenCount: 1 } });
    const c = await call();
    assert.equal(c.choices[0]!.finish_reason, expected, reason);
  }
  answer({ promptFeedback: { blockReason: 'SAFETY' }, usageMetadata: { promptTokenCount: 3, totalTokenCount: 3 } });
  const blocked = await call();
  assert.equal(blocked.choices[0]!.finish_reason, 'content_filter');
  assert.equal(blocked.choices[0]!.message.content, null);

  answer({
    candidates: [{ content: { role: 'model', parts: [{ text: 'thinking…', thought: true }, { text: 'Yes.' }] }, finishReason: 'STOP' }],
    usageMetadata: { promptTokenCount: 3, candidatesTokenCount: 2, thoughtsTokenCount: 10, totalTokenCount: 15 },
  });
  const thought = await call();
  assert.equal(thought.choices[0]!.message.content, 'Yes.');
  assert.deepEqual(thought.usage, { prompt_tokens: 3, completion_tokens: 12, total_tokens: 15, prompt_tokens_details: { cached_tokens: 0 }, completion_tokens_details: { reasoning_tokens: 10 } });
});
