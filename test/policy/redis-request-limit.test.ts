// A request limit on an llm route with shared state: its Redis round trip goes out with the
// model phase's (one round trip before the call), and still holds: a POST over the limit is
// refused before the provider is called, a body that is not JSON is counted too, and a GET
// (no model phase) is refused in the filter.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startGateway } from '../helpers/gateway.js';
import { llmConfig, startFakeOpenAI } from '../llm/support.js';
import { isolate, servicesOk } from '../state/services.js';

const KEY = 'sk-redis-limit-key-0123456789';

test('request limit over Redis on an llm route: counted once per request, refused before the call, bad bodies count, GET refused too', { timeout: 60_000 }, async (t) => {
  const env = await isolate();
  t.after(() => env.cleanup());
  if (!servicesOk(t, env)) return;
  const fake = await startFakeOpenAI();
  const yaml = llmConfig(fake, `policies:
  keys:
    apiKey:
      keys: [{ name: k, key: ${KEY} }]
  four:
    rateLimit: { requests: 4/day }
`).replace('      - { name: llm, match: { path: /v1 }, backend: models }', '      - { name: llm, match: { path: /v1 }, backend: models, policies: [keys, four] }')
    .replace('  admin: { host: 127.0.0.1, port: 0 }', `  admin: { host: 127.0.0.1, port: 0 }
  state: { redis: "redis://127.0.0.1:6379", postgres: "${env.postgresUrl}", prefix: "${env.prefix}" }`);
  const gw = await startGateway(yaml);
  t.after(async () => { await gw.close(); await fake.close(); });
  const headers = { 'content-type': 'application/json', authorization: `Bearer ${KEY}` };
  const chat = () => fetch(`${gw.url()}/v1/chat/completions`, { method: 'POST', headers, body: JSON.stringify({ model: 'fast', messages: [{ role: 'user', content: 'hi' }] }) });
  const ok1 = await chat();
  assert.equal(ok1.status, 200);
  assert.equal(ok1.headers.get('x-ratelimit-remaining-requests'), '3');
  await ok1.text();
  // Not JSON: a 400, but counted.
  const bad = await fetch(`${gw.url()}/v1/chat/completions`, { method: 'POST', headers, body: '{not json' });
  assert.equal(bad.status, 400);
  await bad.text();
  const ok2 = await chat();
  assert.equal(ok2.status, 200);
  await ok2.text();
  const models = await fetch(`${gw.url()}/v1/models`, { headers });
  assert.equal(models.status, 200);
  await models.text();
  // Four counted: the fifth request of either kind is refused, and the provider saw two calls.
  const refused = await chat();
  assert.equal(refused.status, 429);
  assert.equal(((await refused.json()) as { error: { code: string } }).error.code, 'rate_limit_exceeded');
  assert.ok(Number(refused.headers.get('retry-after')) >= 1);
  const refusedGet = await fetch(`${gw.url()}/v1/models`, { headers });
  assert.equal(refusedGet.status, 429);
  assert.equal(fake.received.length, 2);
});
