// A streamed chat with an anthropic model: the SDK reads chat.completion.chunk events, the
// first with role assistant, the text (multi-byte characters intact), one finish_reason.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setupAnthropic } from './anthropic-support.js';

test('anthropic: streamed text arrives as OpenAI chunks', { timeout: 30_000 }, async (t) => {
  const { fake, client } = await setupAnthropic(t);
  const stream = await client.chat.completions.create({ model: 'claude', messages: [{ role: 'user', content: 'hi' }], stream: true, max_tokens: 50 });
  const chunks = [];
  for await (const c of stream) chunks.push(c);
  assert.equal(chunks[0]!.choices[0]!.delta.role, 'assistant');
  assert.equal(chunks.map((c) => c.choices[0]?.delta.content ?? '').join(''), 'Hello wörld 👋');
  assert.deepEqual(chunks.map((c) => c.choices[0]?.finish_reason).filter((f) => f != null), ['stop']);
  assert.ok(chunks.every((c) => c.model === 'claude' && c.object === 'chat.completion.chunk'));
  assert.equal(fake.received[0]!.body.stream, true);
  assert.equal(fake.received[0]!.body.max_tokens, 50);
});
