// `passthrough: true` forwards the caller's provider credentials, never the gateway's own:
// a client that sends its gateway key in two headers (Authorization and x-api-key, as some
// clients do) gets neither copy forwarded, and the model's key goes upstream instead
// (RELIABILITY 26).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startGateway } from '../helpers/gateway.js';
import { BACKEND_KEY, startFakeOpenAI } from './support.js';

const GATEWAY_KEY = 'gw-key-0123456789abcdef';

test('passthrough: no copy of the gateway key reaches the provider', { timeout: 30_000 }, async (t) => {
  const fake = await startFakeOpenAI();
  const gw = await startGateway(`gateway:
  admin: { host: 127.0.0.1, port: 0 }
listeners:
  - name: edge
    port: 0
    routes:
      - { name: llm, match: { path: /v1 }, policies: [keys], backend: models }
backends:
  models:
    llm:
      models:
        - { name: byok, provider: openai, passthrough: true, apiKey: ${BACKEND_KEY}, baseUrl: ${fake.baseUrl} }
policies:
  keys:
    apiKey:
      stored: false
      keys: [{ name: a, key: ${GATEWAY_KEY} }]
`);
  t.after(async () => { await gw.close(); await fake.close(); });
  const send = (headers: Record<string, string>) => fetch(`${gw.url()}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ model: 'byok', messages: [{ role: 'user', content: 'hi' }] }),
  });
  const r = await send({ authorization: `Bearer ${GATEWAY_KEY}`, 'x-api-key': GATEWAY_KEY, 'api-key': GATEWAY_KEY });
  assert.equal(r.status, 200);
  const h = fake.received[0]!.headers;
  assert.equal(h.authorization, `Bearer ${BACKEND_KEY}`, 'the client sent no provider key: the model\'s key goes');
  assert.equal(h['x-api-key'], undefined);
  assert.equal(h['api-key'], undefined);
  // A provider key of its own next to the gateway key still passes.
  const r2 = await send({ authorization: 'Bearer sk-provider-own-key-123456', 'x-api-key': GATEWAY_KEY });
  assert.equal(r2.status, 200);
  assert.equal(fake.received[1]!.headers.authorization, 'Bearer sk-provider-own-key-123456');
  assert.equal(fake.received[1]!.headers['x-api-key'], undefined);
  assert.ok(!JSON.stringify(fake.received.map((x) => x.headers)).includes(GATEWAY_KEY));
});
