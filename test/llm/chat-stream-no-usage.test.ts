// A client that streams without stream_options.include_usage gets no usage chunk, even
// though the gateway always asks upstream for one (to account the call).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { accessLine } from '../http/support.js';
import { setup } from './support.js';

test('stream without include_usage: usage chunk dropped, upstream asked for it, usage accounted', { timeout: 30_000 }, async (t) => {
  const { fake, gw, client } = await setup(t);
  const stream = await client.chat.completions.create(
    { model: 'fast', messages: [{ role: 'user', content: 'hi' }], stream: true },
    { headers: { 'x-request-id': 'stream-no-usage' } },
  );
  let text = '';
  const chunks = [];
  for await (const c of stream) {
    chunks.push(c);
    text += c.choices[0]?.delta.content ?? '';
  }
  assert.equal(text, 'Hello world');
  assert.ok(chunks.every((c) => c.choices.length > 0), 'no usage-only chunk reaches the client');
  assert.ok(chunks.every((c) => c.usage == null));
  assert.deepEqual(fake.received[0]!.body.stream_options, { include_usage: true });
  assert.equal(fake.received[0]!.body.stream, true);

  const line = await accessLine(gw, 'stream-no-usage');
  assert.deepEqual(line.llm, { model: 'fast', target: 'fast', provider: 'openai', attempts: 1, inputTokens: 11, outputTokens: 7, cacheReadTokens: null, cacheWriteTokens: null, costUsd: 0.00000585 });
});
