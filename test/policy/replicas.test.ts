// Two gateway processes sharing one Redis and one Postgres enforce one rate limit and one
// budget exactly (issue 4; DESIGN §4): the counters and reservations are atomic in Redis,
// the spend and the keys are in Postgres, so it does not matter which replica a call hits.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnGateway, type ProcessGateway } from '../helpers/process-gateway.js';
import { llmConfig, type FakeOpenAI } from '../llm/support.js';
import { exactUsageFake } from './support.js';
import { isolate, servicesOk, type Isolated } from '../state/services.js';
import { estimateRequestTokens } from '../../src/llm/estimate.js';

const ADMIN = 'admin-token-0123456789abcdef';
const KEY = 'sk-replica-key-0123456789abcdef';
const MESSAGES = [{ role: 'user', content: 'hi' }];
const INPUT_ESTIMATE = estimateRequestTokens({ messages: MESSAGES });
/** "local" costs $1 / $2 per million; a call reserves and (as the fake reports) spends its estimate + 7 output tokens. */
const CALL_USD = (INPUT_ESTIMATE * 1 + 7 * 2) / 1e6;

function config(fake: FakeOpenAI, env: Isolated, policies: string, names: string): string {
  return llmConfig(fake, `          price: { input: 1, output: 2 }
policies:
  keys:
    apiKey:
      keys: [{ name: shared, key: ${KEY}, metadata: { team: a } }]
${policies}`).replace('      - { name: llm, match: { path: /v1 }, backend: models }', `      - { name: llm, match: { path: /v1 }, backend: models, policies: [keys, ${names}] }`)
    .replace('  admin: { host: 127.0.0.1, port: 0 }', `  admin: { host: 127.0.0.1, port: 0, token: ${ADMIN} }
  reload: { watch: false }
  state: { redis: "redis://127.0.0.1:6379", postgres: "${env.postgresUrl}", prefix: "${env.prefix}" }`);
}

async function twoReplicas(t: { after(fn: () => Promise<void>): void }, yaml: string): Promise<[ProcessGateway, ProcessGateway]> {
  const dir = mkdtempSync(join(tmpdir(), 'agentedge-replicas-'));
  t.after(async () => { rmSync(dir, { recursive: true, force: true }); });
  const file = join(dir, 'agentedge.yaml');
  writeFileSync(file, yaml);
  const [a, b] = await Promise.all([spawnGateway(file), spawnGateway(file)]);
  t.after(async () => { await Promise.all([a.stop(), b.stop()]); });
  return [a, b];
}

const chat = (url: string, key = KEY) => fetch(`${url}/v1/chat/completions`, {
  method: 'POST',
  headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
  body: JSON.stringify({ model: 'local', max_tokens: 7, messages: MESSAGES }),
});

/** A fake that reports exactly the reserved usage, so the expected counts are exact whatever the interleaving. */
const exactFake = () => exactUsageFake(INPUT_ESTIMATE);

test('two replicas: one request limit of 30 across both, 60 concurrent calls split between them → exactly 30 pass', { timeout: 120_000 }, async (t) => {
  const env = await isolate();
  t.after(() => env.cleanup());
  if (!servicesOk(t, env)) return;
  const fake = await exactFake();
  t.after(() => fake.close());
  const [a, b] = await twoReplicas(t, config(fake, env, `  thirty:
    rateLimit: { key: apiKey.name, requests: 30/day }
`, 'thirty'));
  const answers = await Promise.all(Array.from({ length: 60 }, (_, i) => chat(i % 2 === 0 ? a.url : b.url)));
  const statuses = answers.map((r) => r.status);
  await Promise.all(answers.map((r) => r.text()));
  assert.equal(statuses.filter((s) => s === 200).length, 30, statuses.join(','));
  assert.equal(statuses.filter((s) => s === 429).length, 30);
  assert.equal(fake.received.length, 30);
});

test('two replicas: one budget for 10 calls across both, 50 concurrent calls → exactly 10 admitted; the spend is in Postgres', { timeout: 120_000 }, async (t) => {
  const env = await isolate();
  t.after(() => env.cleanup());
  if (!servicesOk(t, env)) return;
  const fake = await exactFake();
  t.after(() => fake.close());
  const [a, b] = await twoReplicas(t, config(fake, env, `  money:
    budget: { key: apiKey.metadata.team, usd: ${(CALL_USD * 10.5).toFixed(9)}, period: month }
`, 'money'));
  const answers = await Promise.all(Array.from({ length: 50 }, (_, i) => chat(i % 2 === 0 ? a.url : b.url)));
  const statuses = answers.map((r) => r.status);
  await Promise.all(answers.map((r) => r.text()));
  assert.equal(statuses.filter((s) => s === 200).length, 10, statuses.join(','));
  assert.equal(fake.received.length, 10);
  // Both replicas read the same ledger: a read writes the reader's own entries first, and
  // the other replica's are written within its batching interval (100 ms).
  for (const g of [a, b]) {
    const deadline = Date.now() + 5000;
    let row: { group: string; calls: number; costUsd: number } | undefined;
    for (;;) {
      const res = await fetch(`${g.adminUrl!}/usage?groupBy=key`, { headers: { authorization: `Bearer ${ADMIN}` } });
      const rows = (await res.json() as { usage: { group: string; calls: number; costUsd: number }[] }).usage;
      row = rows.find((r) => r.group === 'shared');
      if ((row?.calls ?? 0) >= 50 || Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal(row?.calls, 50);
    assert.ok(Math.abs((row?.costUsd ?? Number.NaN) - 10 * CALL_USD) < 1e-9);
  }
});

test('two replicas: a key created on one works on the other; revoked on one, refused by the other within its cache time', { timeout: 120_000 }, async (t) => {
  const env = await isolate();
  t.after(() => env.cleanup());
  if (!servicesOk(t, env)) return;
  const fake = await exactFake();
  t.after(() => fake.close());
  const [a, b] = await twoReplicas(t, config(fake, env, '', 'keys').replace('policies: [keys, keys]', 'policies: [keys]'));
  const created = await fetch(`${a.adminUrl!}/keys`, {
    method: 'POST', headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'runtime', metadata: { team: 'b' } }),
  });
  assert.equal(created.status, 201);
  const { key } = await created.json() as { key: string };
  assert.equal((await chat(b.url, key)).status, 200);
  const revoked = await fetch(`${b.adminUrl!}/keys/runtime`, { method: 'DELETE', headers: { authorization: `Bearer ${ADMIN}` } });
  assert.equal(revoked.status, 200);
  // At once on the replica that revoked it.
  assert.equal((await chat(b.url, key)).status, 401);
  // The other replica drops it when its cached lookup expires (5 s); poll, bounded.
  const deadline = Date.now() + 15_000;
  let status = 200;
  while (Date.now() < deadline && (status = (await chat(a.url, key)).status) === 200) await new Promise((r) => setTimeout(r, 250));
  assert.equal(status, 401);
});
