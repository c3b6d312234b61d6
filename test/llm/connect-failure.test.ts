// An upstream nobody listens on is a 502 in the OpenAI shape.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { startGateway } from '../helpers/gateway.js';
import { closedPort } from '../http/support.js';

test('connection refused → 502 OpenAI-shaped', { timeout: 30_000 }, async (t) => {
  const port = await closedPort();
  const gw = await startGateway(`gateway:
  admin: { host: 127.0.0.1, port: 0 }
listeners:
  - name: edge
    port: 0
    routes: [{ name: llm, match: { path: /v1 }, backend: models }]
backends:
  models:
    llm:
      models: [{ name: m, provider: openai-compatible, baseUrl: "http://127.0.0.1:${port}/v1" }]
`);
  t.after(() => gw.close());
  const client = new OpenAI({ baseURL: `${gw.url()}/v1`, apiKey: 'x', maxRetries: 0 });
  const err = await client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'hi' }] }).then(() => null, (e: unknown) => e);
  assert.ok(err instanceof OpenAI.APIError, String(err));
  assert.equal(err.status, 502);
  assert.equal(err.type, 'api_error');
  assert.equal(err.code, 'AE_UPSTREAM_UNAVAILABLE');
  assert.doesNotMatch(err.message, new RegExp(String(port)));
});
