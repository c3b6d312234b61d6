// GET /usage on the admin API: LLM calls made with two stored keys (teams a and b) on two
// models, read back as entries and grouped by day, model and key, filtered by identity,
// model, metadata and time; bad parameters answer 400 naming the parameter.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startGateway } from '../helpers/gateway.js';
import { startFakeOpenAI } from '../llm/support.js';
import { ADMIN_TOKEN, adminClient, hi, keysConfig, openai, type AdminReply } from './state-support.js';

async function setup(t: { after(fn: () => Promise<void>): void }) {
  const fake = await startFakeOpenAI();
  const gw = await startGateway(keysConfig(fake, `, token: "${ADMIN_TOKEN}"`));
  t.after(async () => { await gw.close(); await fake.close(); });
  const admin = adminClient(gw.adminUrl(), ADMIN_TOKEN);
  const alice = (await admin('POST', '/keys', { name: 'alice', metadata: { team: 'a', org: 'acme' } })).body.key as string;
  const bob = (await admin('POST', '/keys', { name: 'bob', metadata: { team: 'b', org: 'acme' } })).body.key as string;
  const start = Date.now();
  // alice: fast, fast, local; bob: local. The fake reports 11 input and 7 output tokens a call.
  for (const [key, model] of [[alice, 'fast'], [alice, 'fast'], [alice, 'local'], [bob, 'local']] as const) {
    await openai(gw.url(), key).chat.completions.create({ model, ...hi });
  }
  const end = Date.now();
  // The ledger is written when each request is done, just after its answer: wait for all four.
  const usage = async (query = ''): Promise<AdminReply> => admin('GET', `/usage${query}`);
  for (let i = 0; (await usage()).body.usage.length < 4; i++) {
    assert.ok(i < 100, 'four usage entries within 2 s');
    await new Promise((r) => setTimeout(r, 20));
  }
  return { usage, start, end };
}

test('GET /usage lists entries newest first with ISO times, and groups them by day, model and key', { timeout: 30_000 }, async (t) => {
  const { usage, start, end } = await setup(t);
  const entries = (await usage()).body.usage as Record<string, any>[];
  assert.equal(entries.length, 4);
  assert.deepEqual(entries.map((e) => [e.identity, e.model]), [['bob', 'local'], ['alice', 'local'], ['alice', 'fast'], ['alice', 'fast']]);
  for (const e of entries) {
    assert.match(e.time, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    assert.ok(Date.parse(e.time) >= start - 1000 && Date.parse(e.time) <= end);
    assert.equal(e.identityKind, 'apiKey');
    assert.equal(e.status, 200);
    assert.equal(e.inputTokens, 11);
    assert.equal(e.outputTokens, 7);
  }
  assert.deepEqual(entries[0]!.metadata, { team: 'b', org: 'acme' });
  assert.ok(entries.every((e) => !JSON.stringify(e).includes('ae-')), 'no key in the ledger');

  const byModel = (await usage('?groupBy=model')).body.usage;
  assert.deepEqual(byModel.map((g: any) => [g.group, g.calls, g.inputTokens, g.outputTokens]), [['fast', 2, 22, 14], ['local', 2, 22, 14]]);
  const local = byModel.find((g: any) => g.group === 'local');
  assert.ok(local.costUsd > 0, 'local has a price in config');
  assert.equal(local.unpricedCalls, 0);

  const byKey = (await usage('?groupBy=key')).body.usage;
  assert.deepEqual(byKey.map((g: any) => [g.group, g.calls, g.inputTokens]), [['alice', 3, 33], ['bob', 1, 11]]);

  const byDay = (await usage('?groupBy=day')).body.usage;
  const days = [...new Set(entries.map((e) => String(e.time).slice(0, 10)))].sort();
  assert.deepEqual(byDay.map((g: any) => g.group), days);
  assert.equal(byDay.reduce((n: number, g: any) => n + g.calls, 0), 4);

  const limited = (await usage('?limit=1')).body.usage;
  assert.equal(limited.length, 1);
  assert.equal(limited[0].identity, 'bob');
});

test('GET /usage filters by identity, model, metadata and time (from inclusive, to exclusive)', { timeout: 30_000 }, async (t) => {
  const { usage, start, end } = await setup(t);
  const count = async (query: string) => ((await usage(query)).body.usage as unknown[]).length;
  assert.equal(await count('?identity=alice'), 3);
  assert.equal(await count('?identity=nobody'), 0);
  assert.equal(await count('?model=local'), 2);
  assert.equal(await count('?identity=alice&model=local'), 1);
  assert.equal(await count('?metadata.team=b'), 1);
  assert.equal(await count('?metadata.org=acme'), 4);
  assert.equal(await count('?metadata.org=acme&metadata.team=a'), 3);
  assert.equal(await count('?metadata.team=c'), 0);
  const byKeyForTeamA = (await usage('?groupBy=key&metadata.team=a')).body.usage;
  assert.deepEqual(byKeyForTeamA.map((g: any) => [g.group, g.calls]), [['alice', 3]]);

  const iso = (ms: number) => new Date(ms).toISOString();
  assert.equal(await count(`?from=${start - 1000}`), 4);
  assert.equal(await count(`?from=${end + 1}`), 0);
  assert.equal(await count(`?from=${encodeURIComponent(iso(start - 1000))}&to=${encodeURIComponent(iso(end + 1))}`), 4);
  assert.equal(await count(`?to=${start - 1000}`), 0);
  // A date alone is UTC midnight: from today's date includes every call made since it.
  assert.equal(await count(`?from=${iso(start).slice(0, 10)}`), 4);
  assert.equal(await count(`?from=${iso(end + 86_400_000).slice(0, 10)}`), 0);
  // An offset is honoured: the same instant as in UTC.
  const later = new Date(end + 60_000);
  const plusTwo = new Date(later.getTime() + 2 * 3_600_000).toISOString().slice(0, 19) + '+02:00';
  assert.equal(await count(`?from=${encodeURIComponent(plusTwo)}`), 0);
  assert.equal(await count(`?to=${encodeURIComponent(plusTwo)}`), 4);
});

test('GET /usage answers 400 naming the parameter for bad values and unknown parameters', { timeout: 30_000 }, async (t) => {
  const { usage } = await setup(t);
  const cases: [string, RegExp][] = [
    ['?groupBy=week', /^groupBy must be day, model or key/],
    ['?from=yesterday', /^from must be an ISO 8601 date or time/],
    ['?to=2026-13-45', /^to must be an ISO 8601/],
    ['?from=2026-11-01T10', /^from must be/],
    ['?from=2026-11-02&to=2026-11-01', /^from must not be after to/],
    ['?limit=0', /^limit must be an integer from 1 to 10000/],
    ['?limit=10001', /^limit must be/],
    ['?limit=ten', /^limit must be/],
    ['?identity=', /^identity must be 1 to 1024 characters/],
    ['?model=a&model=b', /^model is given more than once/],
    ['?group_by=day', /^group_by is not a known parameter/],
    [`?metadata.${'k'.repeat(65)}=v`, /key must be 1 to 64/],
  ];
  for (const [query, message] of cases) {
    const r = await usage(query);
    assert.equal(r.status, 400, query);
    assert.equal(r.body.error.code, 'AE_BAD_REQUEST');
    assert.match(r.body.error.message, message, query);
  }
});
