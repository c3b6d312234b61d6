// MCP calls meet the route's rate limits per call and land in the usage ledger, end to end
// through the SDK's own Client, with SQLite and with Redis + Postgres: a requests limit keyed
// on `apiKey.name + "/" + mcp.tool.name` lets N calls of one tool through, then refuses the
// next with a JSON-RPC error (data.code rate_limit_exceeded) while another tool still works;
// each tools/call, prompts/get and resources/read is one ledger entry (GET /usage) naming the
// server, the tool, the caller, the outcome and the latency.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { startGateway, type TestGateway } from '../helpers/gateway.js';
import { isolate, servicesOk } from '../state/services.js';
import { startStreamableServer } from './fixtures/servers.js';

const KEY_A = 'key-a-0123456789abcdef';
const KEY_B = 'key-b-0123456789abcdef';
const TOKEN = 'admin-token-mcp-usage-0123456789';

function config(alphaUrl: string, betaUrl: string, state = ''): string {
  return `gateway:
  admin: { host: 127.0.0.1, port: 0, token: ${TOKEN} }
${state}
listeners:
  - name: edge
    port: 0
    routes:
      - { name: tools, match: { path: /mcp }, backend: tools, policies: [keys, per-key, per-tool] }
backends:
  tools:
    mcp:
      servers:
        - { name: alpha, url: '${alphaUrl}' }
        - { name: beta, url: '${betaUrl}' }
policies:
  keys:
    apiKey:
      keys:
        - { name: a, key: ${KEY_A}, metadata: { team: red } }
        - { name: b, key: ${KEY_B} }
  per-key:
    rateLimit: { requests: 1000/minute }
  per-tool:
    rateLimit: { key: 'apiKey.name + "/" + mcp.tool.name', requests: 3/day }
`;
}

async function connect(g: TestGateway, key: string, legacy = false): Promise<Client> {
  const requestInit = { headers: { authorization: `Bearer ${key}` } };
  const client = new Client({ name: 'usage-test', version: '1.0.0' });
  const url = new URL(`${g.url()}/mcp${legacy ? '/sse' : ''}`);
  // The legacy transport's GET stream takes its headers through eventSourceInit's fetch.
  await client.connect(legacy
    ? new SSEClientTransport(url, { requestInit, eventSourceInit: { fetch: (u, init) => fetch(u, { ...init, headers: { ...init?.headers, ...requestInit.headers } }) } })
    : new StreamableHTTPClientTransport(url, { requestInit }));
  return client;
}

function text(result: Awaited<ReturnType<Client['callTool']>>): string {
  return (result.content as { type: string; text?: string }[])[0]!.text!;
}

type Entry = Record<string, any>;

async function usage(g: TestGateway, query = ''): Promise<Entry[]> {
  const r = await fetch(`${g.adminUrl()}/usage${query}`, { headers: { authorization: `Bearer ${TOKEN}` } });
  assert.equal(r.status, 200);
  return ((await r.json()) as { usage: Entry[] }).usage;
}

/** The ledger's entries once there are `n` (they are written as each call ends; Postgres in batches). */
async function entries(g: TestGateway, n: number): Promise<Entry[]> {
  for (let i = 0; ; i++) {
    const all = await usage(g);
    if (all.length >= n) return all;
    assert.ok(i < 200, `${n} usage entries within 4 s (have ${all.length})`);
    await delay(20);
  }
}

async function limitsAndLedger(t: TestContext, state = ''): Promise<void> {
  const alpha = await startStreamableServer({ name: 'alpha' });
  const beta = await startStreamableServer({ name: 'beta' });
  const g = await startGateway(config(alpha.url, beta.url, state));
  const a = await connect(g, KEY_A);
  const b = await connect(g, KEY_B);
  t.after(async () => { await a.close(); await b.close(); await g.close(); await alpha.close(); await beta.close(); });
  const limited = (e: { code?: unknown; data?: { code?: unknown; status?: unknown } }) => e.code === -32000 && e.data?.code === 'rate_limit_exceeded' && e.data.status === 429;

  // Three calls of alpha__echo pass, the fourth is refused; the other tools, and the same tool
  // for another key, each have their own count.
  for (let i = 0; i < 3; i++) assert.equal(text(await a.callTool({ name: 'alpha__echo', arguments: { text: `x${i}` } })), `alpha:x${i}`);
  await assert.rejects(a.callTool({ name: 'alpha__echo', arguments: { text: 'over' } }), limited);
  assert.equal(text(await a.callTool({ name: 'alpha__add', arguments: { a: 2, b: 3 } })), '5');
  assert.equal(text(await b.callTool({ name: 'alpha__echo', arguments: { text: 'b' } })), 'alpha:b');
  // The key reads the tool's name as its server gives it: beta's echo shares alpha's count.
  await assert.rejects(a.callTool({ name: 'beta__echo', arguments: { text: 'over' } }), limited);
  // Lists are not calls: they pass whatever the count.
  assert.ok((await a.listTools()).tools.some((x) => x.name === 'alpha__echo'));
  // A prompt and a resource are calls too, each under its own name.
  const prompt = await a.getPrompt({ name: 'beta__greet', arguments: { who: 'you' } });
  assert.match(JSON.stringify(prompt.messages), /Hello you from beta/);
  const read = await a.readResource({ uri: 'alpha__doc://alpha/readme' });
  assert.equal(read.contents[0]!.uri, 'alpha__doc://alpha/readme');

  // The ledger: one entry per call, newest first, refused ones included.
  const all = await entries(g, 9);
  assert.equal(all.length, 9, JSON.stringify(all));
  const mine = all.filter((e) => e.identity === 'a');
  assert.deepEqual(mine.map((e) => [e.method, e.model, e.target, e.outcome, e.status]).reverse(), [
    ['tools/call', 'alpha__echo', 'alpha', 'ok', 200],
    ['tools/call', 'alpha__echo', 'alpha', 'ok', 200],
    ['tools/call', 'alpha__echo', 'alpha', 'ok', 200],
    ['tools/call', 'alpha__echo', 'alpha', 'refused', 429],
    ['tools/call', 'alpha__add', 'alpha', 'ok', 200],
    ['tools/call', 'beta__echo', 'beta', 'refused', 429],
    ['prompts/get', 'beta__greet', 'beta', 'ok', 200],
    ['resources/read', 'alpha__doc://alpha/readme', 'alpha', 'ok', 200],
  ]);
  for (const e of all) {
    assert.equal(e.provider, 'mcp');
    assert.equal(e.route, 'tools');
    assert.equal(e.identityKind, 'apiKey');
    assert.equal(e.inputTokens, null);
    assert.equal(e.outputTokens, null);
    assert.equal(e.costUsd, null);
    assert.equal(e.estimated, false);
    assert.equal(typeof e.latencyMs, 'number');
    assert.ok(e.latencyMs >= 0 && e.latencyMs < 30_000, String(e.latencyMs));
    assert.match(e.time, /^\d{4}-\d{2}-\d{2}T/);
  }
  assert.deepEqual(mine[0]!.metadata, { team: 'red' });
  assert.deepEqual(all.filter((e) => e.identity === 'b').map((e) => [e.model, e.outcome]), [['alpha__echo', 'ok']]);
  // Filters and groups work on MCP entries as on LLM ones.
  assert.equal((await usage(g, '?model=alpha__echo')).length, 5);
  const byModel = await usage(g, '?groupBy=model&identity=a');
  assert.deepEqual(byModel.map((x) => [x.group, x.calls, x.inputTokens, x.costUsd, x.unpricedCalls]).find((x) => x[0] === 'alpha__echo'), ['alpha__echo', 4, 0, 0, 4]);
}

test('a per-tool rate limit counts MCP calls, and the ledger records each call (SQLite)', { timeout: 30_000 }, async (t) => {
  await limitsAndLedger(t);
});

test('the same with Redis + Postgres (leased windows, ledger in Postgres)', { timeout: 60_000 }, async (t) => {
  const env = await isolate();
  t.after(() => env.cleanup());
  if (!servicesOk(t, env)) return;
  await limitsAndLedger(t, `  state: { redis: "redis://127.0.0.1:6379", postgres: "${env.postgresUrl}", prefix: "${env.prefix}" }`);
});

test('the same with Redis + Postgres and leases off (every call asks Redis)', { timeout: 60_000 }, async (t) => {
  const env = await isolate();
  t.after(() => env.cleanup());
  if (!servicesOk(t, env)) return;
  await limitsAndLedger(t, `  state: { redis: "redis://127.0.0.1:6379", postgres: "${env.postgresUrl}", prefix: "${env.prefix}", leases: false }`);
});

test('legacy SSE: the call is answered on the stream after its POST ended, and recorded with its real outcome', { timeout: 30_000 }, async (t) => {
  const alpha = await startStreamableServer({ name: 'alpha' });
  const beta = await startStreamableServer({ name: 'beta' });
  const g = await startGateway(config(alpha.url, beta.url));
  const a = await connect(g, KEY_A, true);
  t.after(async () => { await a.close(); await g.close(); await alpha.close(); await beta.close(); });
  for (let i = 0; i < 3; i++) assert.equal(text(await a.callTool({ name: 'beta__add', arguments: { a: i, b: 1 } })), String(i + 1));
  await assert.rejects(a.callTool({ name: 'beta__add', arguments: { a: 0, b: 0 } }), (e: { data?: { code?: unknown } }) => e.data?.code === 'rate_limit_exceeded');
  const all = await entries(g, 4);
  assert.deepEqual(all.map((e) => [e.model, e.outcome, e.status]).reverse(), [
    ['beta__add', 'ok', 200], ['beta__add', 'ok', 200], ['beta__add', 'ok', 200], ['beta__add', 'refused', 429],
  ]);
});

test('with Redis + Postgres, a request limit refuses MCP POSTs that never reach the call gate (initialize, lists)', { timeout: 60_000 }, async (t) => {
  const env = await isolate();
  t.after(() => env.cleanup());
  if (!servicesOk(t, env)) return;
  const alpha = await startStreamableServer({ name: 'alpha' });
  const yaml = config(alpha.url, alpha.url, `  state: { redis: "redis://127.0.0.1:6379", postgres: "${env.postgresUrl}", prefix: "${env.prefix}", leases: false }`)
    .replace('rateLimit: { requests: 1000/minute }', 'rateLimit: { requests: 4/day }');
  const g = await startGateway(yaml);
  t.after(async () => { await g.close(); await alpha.close(); });
  const post = (body: object, sid?: string) => fetch(`${g.url()}/mcp`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', authorization: `Bearer ${KEY_A}`, ...(sid !== undefined && { 'mcp-session-id': sid }) },
    body: JSON.stringify(body),
  });
  const init = await post({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '1' } } });
  assert.equal(init.status, 200);
  const sid = init.headers.get('mcp-session-id')!;
  await init.text();
  const statuses: number[] = [];
  for (let i = 0; i < 4; i++) {
    const r = await post({ jsonrpc: '2.0', id: 10 + i, method: 'tools/list' }, sid);
    statuses.push(r.status);
    const body = await r.json() as { error?: { data?: { code?: string } } };
    if (r.status === 429) assert.equal(body.error?.data?.code, 'rate_limit_exceeded');
  }
  // 4 a day (windows are aligned to the clock: a minute's boundary could fall inside the test): initialize and three lists pass, the fourth list is refused.
  assert.deepEqual(statuses, [200, 200, 200, 429]);
});
