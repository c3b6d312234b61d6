// With Redis + Postgres state, a client session opened through one replica continues through
// another: two gateways (replicas) with the same state config in front of one fixture server.
// The SDK's own Client initializes through replica A, then its requests go to replica B with
// the same Mcp-Session-Id and succeed (B rebuilds the session from its shared record); the
// record holds what B needs (owner, revision, client info, log level) under the backend's
// name; another identity presenting the id gets 404 on B as on A; after DELETE through B,
// B answers 404 at once and A once its copy's next refresh of the record finds it gone
// (sessionTtl/4 after its last), when A ends its copy and its upstream session too.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { LoggingMessageNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { startGateway, type TestGateway } from '../helpers/gateway.js';
import { waitFor } from '../helpers/upstream.js';
import { isolate, REDIS_URL, servicesOk } from '../state/services.js';
import { startStreamableServer } from './fixtures/servers.js';

const KEY_A = 'key-a-shared-sessions-0123456789';
const KEY_B = 'key-b-shared-sessions-0123456789';
/** Short, so that A's refresh (every sessionTtl/4 of use) comes within the test. */
const TTL_MS = 6000;

function config(fixtureUrl: string, state: string): string {
  return `gateway:
  admin: { host: 127.0.0.1, port: 0, token: admin-token-shared-sessions-0123 }
${state}
listeners:
  - name: edge
    port: 0
    routes:
      - { name: tools, match: { path: /mcp }, backend: tools, policies: [keys] }
backends:
  tools:
    mcp:
      sessionTtl: ${TTL_MS / 1000}s
      servers:
        - { name: alpha, url: '${fixtureUrl}' }
policies:
  keys:
    apiKey:
      keys:
        - { name: a, key: ${KEY_A} }
        - { name: b, key: ${KEY_B} }
`;
}

/** One JSON-RPC request POSTed with a session id, as a client (or a load balancer) would send it. */
async function rpc(g: TestGateway, key: string, sid: string, method: string, params: object = {}): Promise<{ status: number; body: any }> {
  const r = await fetch(`${g.url()}/mcp`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${key}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream',
      'mcp-session-id': sid, 'mcp-protocol-version': '2025-11-25',
    },
    body: JSON.stringify({ jsonrpc: '2.0', id: 7, method, params }),
  });
  return { status: r.status, body: await r.json() };
}

async function sessionsOf(g: TestGateway): Promise<number> {
  const views = await g.gw.backendViews('mcp/servers');
  return (views!.tools as { sessions: number }).sessions;
}

test('a session opened through replica A continues through replica B (Redis + Postgres)', { timeout: 60_000 }, async (t) => {
  const env = await isolate();
  t.after(() => env.cleanup());
  if (!servicesOk(t, env)) return;
  const state = `  state: { redis: "${REDIS_URL}", postgres: "${env.postgresUrl}", prefix: "${env.prefix}" }`;
  const alpha = await startStreamableServer({ name: 'alpha' });
  const a = await startGateway(config(alpha.url, state));
  const b = await startGateway(config(alpha.url, state));
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  // The client's requests go where `target` says: a load balancer that moved it.
  let target = a;
  const client = new Client({ name: 'replicas-test', version: '1.0.0' });
  const transport = new StreamableHTTPClientTransport(new URL(`${a.url()}/mcp`), {
    requestInit: { headers: { authorization: `Bearer ${KEY_A}` } },
    fetch: (url, init) => {
      const u = new URL(url);
      u.host = new URL(target.url()).host;
      return fetch(u, init);
    },
  });
  t.after(async () => {
    await client.close().catch(() => undefined);
    redis.disconnect();
    await a.close();
    await b.close();
    await alpha.close();
  });

  await client.connect(transport);
  const sid = transport.sessionId!;
  assert.match(sid, /^[0-9a-f]{32}$/);
  assert.equal(await sessionsOf(a), 1);
  assert.equal(await sessionsOf(b), 0);

  // The record every replica reads, namespaced by the backend's name, with the session's TTL.
  const key = `${env.prefix}kv:mcp-session:tools:${sid}`;
  const record = JSON.parse((await redis.get(key))!);
  assert.equal(record.owner, 'apiKey:keys:a');
  assert.equal(record.protocolVersion, '2025-11-25');
  assert.equal(record.clientInfo.name, 'replicas-test');
  assert.equal(record.logLevel, null);
  const ttl = await redis.pttl(key);
  assert.ok(ttl > 0 && ttl <= TTL_MS, String(ttl));

  // The same client, moved to B: lists and calls work at once.
  target = b;
  const tools = await client.listTools();
  assert.ok(tools.tools.some((x) => x.name === 'alpha__echo'));
  const called = await client.callTool({ name: 'alpha__echo', arguments: { text: 'via-b' } });
  assert.deepEqual(called.content, [{ type: 'text', text: 'alpha:via-b' }]);
  assert.equal(await sessionsOf(b), 1, 'B rebuilt the session');
  // What B changes is recorded for the others.
  await client.setLoggingLevel('error');
  assert.equal(JSON.parse((await redis.get(key))!).logLevel, 'error');

  // Raw requests with the header behave the same; another identity gets 404 on B as on A.
  const raw = await rpc(b, KEY_A, sid, 'tools/call', { name: 'alpha__add', arguments: { a: 2, b: 3 } });
  assert.equal(raw.status, 200, JSON.stringify(raw.body));
  assert.deepEqual(raw.body.result.structuredContent, { sum: 5 });
  for (const g of [a, b]) {
    const other = await rpc(g, KEY_B, sid, 'tools/list');
    assert.equal(other.status, 404);
    assert.equal(other.body.error.code, -32001);
  }
  // An id no replica issued is 404 too.
  assert.equal((await rpc(b, KEY_A, 'f'.repeat(32), 'tools/list')).status, 404);

  // Back to A: still its session.
  target = a;
  const again = await client.callTool({ name: 'alpha__echo', arguments: { text: 'via-a' } });
  assert.deepEqual(again.content, [{ type: 'text', text: 'alpha:via-a' }]);
  // A's refresh of the record (due sessionTtl/4 after its last write) reads what B changed
  // rather than writing its own copy back: the level stays in the record, and A sets it on its
  // own upstream session — the server then lets only errors through (info first, then error).
  await delay(TTL_MS / 4 + 100);
  const logs: string[] = [];
  let arrived: (() => void) | null = null;
  client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => {
    logs.push(String(n.params.data));
    if (n.params.level === 'error') arrived?.();
  });
  const chatted = new Promise<void>((resolve) => { arrived = resolve; });
  await client.callTool({ name: 'alpha__chatter', arguments: {} });
  await chatted;
  assert.equal(JSON.parse((await redis.get(key))!).logLevel, 'error');
  assert.deepEqual(logs, ['error from alpha']);

  // DELETE through B ends it everywhere: B and the record at once…
  const del = await fetch(`${b.url()}/mcp`, { method: 'DELETE', headers: { authorization: `Bearer ${KEY_A}`, 'mcp-session-id': sid } });
  assert.equal(del.status, 200);
  assert.equal(await redis.get(key), null);
  assert.equal(await sessionsOf(b), 0);
  assert.equal((await rpc(b, KEY_A, sid, 'tools/list')).status, 404);
  // …and A at its copy's next refresh of the record (sessionTtl/4 after its last), which
  // finds it gone: A ends its copy (and its upstream session) and answers 404.
  await delay(TTL_MS / 4 + 100);
  const onA = await rpc(a, KEY_A, sid, 'tools/list');
  assert.equal(onA.status, 404, JSON.stringify(onA.body));
  assert.equal(await sessionsOf(a), 0);
  assert.equal((await rpc(a, KEY_A, sid, 'tools/list')).status, 404);
  await waitFor(() => alpha.sessions() === 0, 5000, 'both replicas ended their upstream sessions');
});
