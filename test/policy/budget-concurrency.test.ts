// RELIABILITY 22: 50 concurrent requests from a key whose budget allows 10 — at most 10
// are admitted — and the streaming overshoot bound of docs/policies.md: spend passes the
// budget by at most what admitted calls cost beyond their reservations.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startGateway } from '../helpers/gateway.js';
import { llmConfig, startFakeOpenAI } from '../llm/support.js';
import { exactUsageFake } from './support.js';
import { estimateRequestTokens } from '../../src/llm/estimate.js';

const KEY = 'sk-budget-test-key-0123456789';
// "local" is priced $1 / $2 per million tokens (input / output).
const PER_M = { input: 1, output: 2 };
const MESSAGES = [{ role: 'user', content: 'hi' }];
/** What the gateway estimates for these messages before a call (src/llm/estimate.ts). */
const INPUT_ESTIMATE = estimateRequestTokens({ messages: MESSAGES });

function config(baseUrl: string, budget: string): string {
  return llmConfig({ baseUrl } as never, `          price: { input: ${PER_M.input}, output: ${PER_M.output} }
policies:
  keys:
    apiKey:
      keys: [{ name: alice, key: ${KEY}, metadata: { team: a } }]
  money:
    budget: ${budget}
`).replace('      - { name: llm, match: { path: /v1 }, backend: models }', '      - { name: llm, match: { path: /v1 }, backend: models, policies: [keys, money] }');
}

const post = (url: string, body: unknown) => fetch(`${url}/v1/chat/completions`, {
  method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${KEY}` }, body: JSON.stringify(body),
});

test('50 concurrent calls against a budget for 10: exactly 10 reach the provider, 40 get insufficient_quota', { timeout: 60_000 }, async (t) => {
  // The provider reports exactly what was reserved, so the answer is 10 whatever the interleaving.
  const fake = await exactUsageFake(INPUT_ESTIMATE);
  // Every call reserves the same: its input estimate (the gateway's own estimator) and max_tokens 7.
  const reservation = (INPUT_ESTIMATE * PER_M.input + 7 * PER_M.output) / 1e6;
  const gw = await startGateway(config(fake.baseUrl, `{ usd: ${(reservation * 10.5).toFixed(9)}, period: day }`));
  t.after(async () => { await gw.close(); await fake.close(); });
  const before = fake.received.length;
  const answers = await Promise.all(Array.from({ length: 50 }, () => post(gw.url(), { model: 'local', max_tokens: 7, messages: MESSAGES })));
  const statuses = answers.map((r) => r.status);
  const bodies = await Promise.all(answers.map((r) => r.json() as Promise<{ error?: { code: string } }>));
  assert.equal(statuses.filter((s) => s === 200).length, 10, `statuses: ${statuses.join(',')}`);
  assert.equal(statuses.filter((s) => s === 429).length, 40);
  for (const b of bodies) if (b.error) assert.equal(b.error.code, 'insufficient_quota');
  assert.equal(fake.received.length - before, 10, 'refused calls never reach the provider');
  const rows = await gw.gw.state.queryUsage({ groupBy: 'key' }) as { group: string; costUsd: number }[];
  assert.ok(Math.abs(rows[0]!.costUsd - 10 * reservation) < 1e-9);
});

test('streams without max_tokens reserve reserveOutputTokens; the overshoot stays within the documented bound', { timeout: 60_000 }, async (t) => {
  const fake = await startFakeOpenAI();
  // Each stream reports 11 input + 7 output tokens; it reserves its input estimate + 2 output (reserveOutputTokens: 2).
  const reservation = (INPUT_ESTIMATE * PER_M.input + 2 * PER_M.output) / 1e6;
  const actual = (11 * PER_M.input + 7 * PER_M.output) / 1e6;
  const usd = reservation * 5.5;
  const gw = await startGateway(config(fake.baseUrl, `{ usd: ${usd.toFixed(9)}, period: day, reserveOutputTokens: 2 }`));
  t.after(async () => { await gw.close(); await fake.close(); });
  const body = { model: 'local', stream: true, stream_options: { include_usage: true }, messages: MESSAGES };
  const answers = await Promise.all(Array.from({ length: 20 }, () => post(gw.url(), body)));
  await Promise.all(answers.map((r) => r.text()));
  const admitted = answers.filter((r) => r.status === 200).length;
  // All 20 reserve before any settles: at most floor(usd / reservation) are admitted.
  assert.ok(admitted >= 1 && admitted <= Math.floor(usd / reservation), `admitted ${admitted}`);
  const rows = await gw.gw.state.queryUsage({ groupBy: 'key' }) as { costUsd: number }[];
  const spent = rows[0]!.costUsd;
  // The bound: admitted calls × (actual − reserved) above the budget, no more.
  assert.ok(spent <= usd + admitted * (actual - reservation) + 1e-12, `spent ${spent} > bound`);
  // And once spent passes the budget, nothing more is admitted.
  if (spent >= usd) assert.equal((await post(gw.url(), body)).status, 429);
});
