// A streamed chat with a gemini model: the upstream is asked with :streamGenerateContent?alt=sse
// and the SDK reads the text from OpenAI chunks (role first, finish reason "stop" last).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setupGemini } from './gemini-support.js';

test('gemini: streamed chat', { timeout: 30_000 }, async (t) => {
  const { fake, client } = await setupGemini(t);
  const stream = await client.chat.completions.create({ model: 'gem', messages: [{ role: 'user', content: 'hi' }], stream: true });
  const chunks = [];
  for await (const c of stream) chunks.push(c);
  assert.equal(chunks[0]!.choices[0]!.delta.role, 'assistant');
  assert.equal(chunks.map((c) => c.choices[0]?.delta.content ?? '').join(''), 'Hello wörld 👋');
  assert.equal(chunks.at(-1)!.choices[0]!.finish_reason, 'stop');
  assert.ok(chunks.every((c) => c.model === 'gem' && c.id === 'resp_fake' && c.usage == null));
  assert.equal(fake.received[0]!.url, '/v1beta/models/gemini-2.0-flash:streamGenerateContent?alt=sse');
  assert.equal(fake.received[0]!.body.stream, undefined);
});
