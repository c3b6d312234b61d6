// Budgets and keys live in the state store, not in the process: they survive a restart and
// a kill -9 of a gateway on the default SQLite state (issue 4; DESIGN §4).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnGateway } from '../helpers/process-gateway.js';
import { llmConfig, startFakeOpenAI, type FakeOpenAI } from '../llm/support.js';

const ADMIN = 'admin-token-0123456789abcdef';

function config(fake: FakeOpenAI): string {
  return llmConfig(fake, `          price: { input: 1, output: 2 }
policies:
  keys:
    apiKey: {}
  money:
    budget: { key: apiKey.metadata.team, usd: 0.0001, period: total }
`).replace('      - { name: llm, match: { path: /v1 }, backend: models }', '      - { name: llm, match: { path: /v1 }, backend: models, policies: [keys, money] }')
    .replace('  admin: { host: 127.0.0.1, port: 0 }', `  admin: { host: 127.0.0.1, port: 0, token: ${ADMIN} }\n  reload: { watch: false }`);
}

const chat = (url: string, key: string) => fetch(`${url}/v1/chat/completions`, {
  method: 'POST',
  headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
  body: JSON.stringify({ model: 'local', max_tokens: 7, messages: [{ role: 'user', content: 'hi' }] }),
});

test('a runtime key and the spend of a budget survive a restart and a kill -9 (SQLite)', { timeout: 90_000 }, async (t) => {
  const fake = await startFakeOpenAI();
  const dir = mkdtempSync(join(tmpdir(), 'agentedge-durable-'));
  t.after(async () => { await fake.close(); rmSync(dir, { recursive: true, force: true }); });
  const file = join(dir, 'agentedge.yaml');
  writeFileSync(file, config(fake));

  let gw = await spawnGateway(file);
  const created = await fetch(`${gw.adminUrl!}/keys`, {
    method: 'POST', headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'team-a-app', metadata: { team: 'a' } }),
  });
  assert.equal(created.status, 201);
  const { key } = await created.json() as { key: string };
  // Each call costs 11 × $1 + 7 × $2 per million = $0.000025: four fit in $0.0001.
  for (let i = 0; i < 2; i++) assert.equal((await chat(gw.url, key)).status, 200);
  await gw.stop('SIGTERM');

  // Restart: the key still works, the two calls are still spent.
  gw = await spawnGateway(file);
  assert.equal((await chat(gw.url, key)).status, 200);
  // The settle and the ledger entry are committed when the request ends, a moment after the
  // client has its last byte: wait for the entry, then kill -9.
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline && (await usageCalls(gw.adminUrl!)) < 3) await new Promise((r) => setTimeout(r, 50));
  await gw.stop('SIGKILL');

  gw = await spawnGateway(file);
  assert.equal((await chat(gw.url, key)).status, 200, 'the fourth call fits');
  const refused = await chat(gw.url, key);
  assert.equal(refused.status, 429, 'four calls were spent across two restarts; the fifth does not fit');
  assert.equal(((await refused.json()) as { error: { code: string } }).error.code, 'insufficient_quota');
  assert.equal(await usageCalls(gw.adminUrl!), 5);
  await gw.stop('SIGTERM');
  assert.equal(fake.received.length, 4);
});

async function usageCalls(adminUrl: string): Promise<number> {
  const usage = await fetch(`${adminUrl}/usage?groupBy=key`, { headers: { authorization: `Bearer ${ADMIN}` } });
  const rows = (await usage.json() as { usage: { group: string; calls: number }[] }).usage;
  return rows.find((r) => r.group === 'team-a-app')?.calls ?? 0;
}
