// A model the backend does not serve (or none at all) is an OpenAI-shaped 404 the SDK raises
// as NotFoundError, with code model_not_found; nothing goes upstream.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { request } from 'undici';
import { setup } from './support.js';

test('unknown model → NotFoundError (model_not_found)', { timeout: 30_000 }, async (t) => {
  const { fake, gw, client } = await setup(t);
  const err = await client.chat.completions.create({ model: 'gpt-nope', messages: [{ role: 'user', content: 'hi' }] }).then(() => null, (e: unknown) => e);
  assert.ok(err instanceof OpenAI.NotFoundError, String(err));
  assert.equal(err.code, 'model_not_found');
  assert.match(err.message, /gpt-nope/);

  const res = await request(`${gw.url()}/v1/embeddings`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"input":"x"}' });
  const json = await res.body.json() as { error: { code: string } };
  assert.equal(res.statusCode, 404);
  assert.equal(json.error.code, 'model_not_found');
  assert.equal(fake.received.length, 0);
});
