// Embeddings go to the upstream's /embeddings with the upstream model name; the SDK gets
// the vectors and usage is accounted.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { accessLine } from '../http/support.js';
import { setup } from './support.js';

test('embeddings pass through', { timeout: 30_000 }, async (t) => {
  const { fake, gw, client } = await setup(t);
  const r = await client.embeddings.create({ model: 'local', input: ['a', 'b'], encoding_format: 'float' }, { headers: { 'x-request-id': 'emb-1' } });
  assert.equal(r.data.length, 2);
  assert.deepEqual(r.data[1]!.embedding, [0.25, -0.5, 1]);
  assert.equal(fake.received[0]!.url, '/v1/embeddings');
  assert.equal(fake.received[0]!.body.model, 'local');
  assert.deepEqual(fake.received[0]!.body.input, ['a', 'b']);
  const line = await accessLine(gw, 'emb-1');
  assert.deepEqual(line.llm, { model: 'local', target: 'local', provider: 'openai-compatible', attempts: 1, inputTokens: 10, outputTokens: null, cacheReadTokens: null, cacheWriteTokens: null, costUsd: null });
});
