// MCP federation under failure and attack, end to end through real sockets and the SDK's own
// Client: a stdio server that crashes mid-call (restarted after its backoff, the others
// unaffected), an upstream that forgot its sessions (re-established transparently), CEL
// rules that hide and refuse tools before any upstream is reached, sessions bound to the
// identity that opened them, the Origin check against DNS rebinding, real npm servers over
// stdio, and an idle stdio process stopped and started again.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as delay } from 'node:timers/promises';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { startGateway, type TestGateway } from '../helpers/gateway.js';
import { mcpConfig } from './fixtures/gateway.js';
import { startStreamableServer, toolCalls } from './fixtures/servers.js';

const STDIO = fileURLToPath(new URL('./fixtures/stdio-server.mjs', import.meta.url));
const require = createRequire(import.meta.url);
const EVERYTHING = require.resolve('@modelcontextprotocol/server-everything/dist/index.js');
const MEMORY = require.resolve('@modelcontextprotocol/server-memory/dist/index.js');
const KEY_A = 'key-a-0123456789abcdef';
const KEY_B = 'key-b-0123456789abcdef';

/** An SDK client on the gateway's MCP endpoint at `path`, presenting `key` when given. */
async function connect(g: TestGateway, path = '/mcp', key?: string): Promise<{ client: Client; transport: StreamableHTTPClientTransport }> {
  const headers: Record<string, string> = key === undefined ? {} : { authorization: `Bearer ${key}` };
  const transport = new StreamableHTTPClientTransport(new URL(`${g.url()}${path}`), { requestInit: { headers } });
  const client = new Client({ name: 'resilience-test', version: '1.0.0' });
  await client.connect(transport);
  return { client, transport };
}

/** The text of a tool result's first content item. */
function text(result: Awaited<ReturnType<Client['callTool']>>): string {
  const first = (result.content as { type: string; text?: string }[])[0];
  assert.equal(first?.type, 'text', JSON.stringify(result));
  return first.text!;
}

/** Polls `probe` until it gives a value (a throw counts as "not yet"), for at most `ms`. */
async function until<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms;
  let last: string | null = null;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (err) {
      last = err instanceof Error ? err.message : 'a non-Error throw';
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last === null ? '' : ` (last error: ${last})`}`);
    await delay(25);
  }
}

/** True while a process with this id exists. */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** A server entry for the stdio fixture; `extra`: more keys, e.g. `, idleTimeout: 300ms`. */
function stdioServer(name: string, extra = ''): string {
  return `{ name: ${name}, command: "${process.execPath}", args: ["${STDIO}"]${extra} }`;
}

test('a stdio server that crashes mid-call: that call fails naming it, the others answer, it comes back as a new process', { timeout: 30_000 }, async (t) => {
  const alpha = await startStreamableServer({ name: 'alpha' });
  const g = await startGateway(mcpConfig({ servers: [`{ name: alpha, url: "${alpha.url}" }`, stdioServer('local')] }));
  const { client } = await connect(g);
  t.after(async () => { await client.close(); await g.close(); await alpha.close(); });

  const before = Number(text(await client.callTool({ name: 'local__pid', arguments: {} })));
  assert.ok(before > 0 && alive(before));
  await assert.rejects(client.callTool({ name: 'local__crash', arguments: {} }), (e: { message?: string; data?: { server?: unknown } }) =>
    /MCP server local\b/.test(e.message ?? '') && e.data?.server === 'local');
  // Within the backoff the crashed server is refused at once, naming it, without a new process.
  await assert.rejects(client.callTool({ name: 'local__pid', arguments: {} }), /MCP server local is failing/);
  // The other server is untouched, at once (no waiting for the crashed one's backoff).
  assert.equal(text(await client.callTool({ name: 'alpha__echo', arguments: { text: 'still' } })), 'alpha:still');
  const { tools } = await client.listTools();
  assert.ok(tools.some((x) => x.name === 'alpha__echo'), 'a crashed server never empties the list');

  // After the restart backoff (1s), the next call starts a new process.
  const after = await until('local__pid to answer again', async () => Number(text(await client.callTool({ name: 'local__pid', arguments: {} }))));
  assert.notEqual(after, before);
  assert.ok(alive(after));
  assert.equal(alive(before), false, 'the crashed process is gone');
  assert.equal(text(await client.callTool({ name: 'local__echo', arguments: { text: 'back' } })), 'untagged:back');
});

test('an upstream session the server forgot is re-established transparently, in the same client session', { timeout: 30_000 }, async (t) => {
  const alpha = await startStreamableServer({ name: 'alpha' });
  const g = await startGateway(mcpConfig({ servers: `{ name: alpha, url: "${alpha.url}" }` }));
  const { client, transport } = await connect(g);
  t.after(async () => { await client.close(); await g.close(); await alpha.close(); });

  assert.equal(text(await client.callTool({ name: 'alpha__echo', arguments: { text: 'one' } })), 'alpha:one');
  assert.equal(alpha.sessions(), 1);
  const clientSession = transport.sessionId;
  alpha.dropSessions();
  assert.equal(alpha.sessions(), 0);

  assert.equal(text(await client.callTool({ name: 'alpha__echo', arguments: { text: 'two' } })), 'alpha:two');
  assert.equal(alpha.sessions(), 1, 'a new upstream session was opened');
  assert.equal(transport.sessionId, clientSession, 'the client never saw it: same session');
  assert.ok(g.logs.some((l) => l.upstream === 'alpha' && /upstream session expired/.test(String(l.msg))), 'and the operator log says so');

  // Two calls in flight that both find the session gone share one replacement.
  alpha.dropSessions();
  const [a, b] = await Promise.all(['a', 'b'].map((x) => client.callTool({ name: 'alpha__echo', arguments: { text: x } })));
  assert.deepEqual([text(a!), text(b!)], ['alpha:a', 'alpha:b']);
  assert.equal(alpha.sessions(), 1, 'one new upstream session, not one per call');

  // The client ends its session: the gateway ends its upstream session too (DELETE).
  await transport.terminateSession();
  await until('the upstream session to be ended', () => (alpha.sessions() === 0 ? true : undefined));
});

test('CEL: a denied tool is hidden and refused before the upstream; an allow rule on mcp.server hides the other server', { timeout: 30_000 }, async (t) => {
  const alpha = await startStreamableServer({ name: 'alpha' });
  const beta = await startStreamableServer({ name: 'beta' });
  const g = await startGateway(`
gateway: { admin: off }
listeners:
  - name: edge
    port: 0
    routes:
      - { name: guarded, match: { path: /mcp }, backend: tools, policies: [keys, nodelete] }
      - { name: alpha-only, match: { path: /alpha }, backend: tools, policies: [keys, alphaonly] }
backends:
  tools:
    mcp:
      servers:
        - { name: alpha, url: '${alpha.url}' }
        - { name: beta, url: '${beta.url}' }
policies:
  keys:
    apiKey:
      keys:
        - { name: a, key: ${KEY_A} }
  nodelete:
    authorize:
      deny: ['mcp.tool.name.startsWith("delete_")']
  alphaonly:
    authorize:
      allow: ['mcp.server == "alpha"']
`);
  const guarded = (await connect(g, '/mcp', KEY_A)).client;
  const only = (await connect(g, '/alpha', KEY_A)).client;
  t.after(async () => { await guarded.close(); await only.close(); await g.close(); await alpha.close(); await beta.close(); });
  // A JSON-RPC error (the SDK's McpError) carrying the gateway's refusal.
  const forbidden = (e: { code?: unknown; data?: { code?: unknown } }) => e.code === -32000 && e.data?.code === 'AE_FORBIDDEN';
  const reached = () => toolCalls.filter((c) => c.startsWith('alpha:') || c.startsWith('beta:')).length;

  const names = (await guarded.listTools()).tools.map((x) => x.name);
  assert.ok(names.includes('alpha__echo') && names.includes('beta__echo'), names.join());
  assert.ok(!names.some((n) => n.endsWith('__delete_everything')), names.join());
  const before = reached();
  await assert.rejects(guarded.callTool({ name: 'alpha__delete_everything', arguments: {} }), forbidden);
  assert.equal(reached(), before, 'the refused call never reached the server');

  const alphaNames = (await only.listTools()).tools.map((x) => x.name);
  assert.ok(alphaNames.length > 0 && alphaNames.every((n) => n.startsWith('alpha__')), alphaNames.join());
  assert.ok(alphaNames.includes('alpha__delete_everything'), 'no deny rule on this route');
  await assert.rejects(only.callTool({ name: 'beta__echo', arguments: { text: 'x' } }), forbidden);
  // The counter does count: the same tool, allowed here, reaches its server.
  assert.equal(text(await only.callTool({ name: 'alpha__delete_everything', arguments: {} })), 'deleted');
  assert.equal(reached(), before + 1);
});

test('a session belongs to the key that opened it: another key gets 404 for its id, the owner 200', { timeout: 30_000 }, async (t) => {
  const alpha = await startStreamableServer({ name: 'alpha' });
  const g = await startGateway(mcpConfig({
    servers: `{ name: alpha, url: '${alpha.url}' }`,
    routePolicies: ['keys'],
    policies: `
policies:
  keys:
    apiKey:
      keys:
        - { name: a, key: ${KEY_A} }
        - { name: b, key: ${KEY_B} }
`,
  }));
  const { client, transport } = await connect(g, '/mcp', KEY_A);
  t.after(async () => { await client.close(); await g.close(); await alpha.close(); });
  const sessionId = transport.sessionId!;
  assert.ok(sessionId);

  const post = (key: string) => fetch(`${g.url()}/mcp`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${key}`,
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'mcp-session-id': sessionId,
      'mcp-protocol-version': transport.protocolVersion ?? '2025-06-18',
    },
    body: JSON.stringify({ jsonrpc: '2.0', id: 7, method: 'tools/list' }),
  });
  const stolen = await post(KEY_B);
  assert.equal(stolen.status, 404);
  const stolenBody = await stolen.json() as { error?: { code?: number } };
  assert.equal(typeof stolenBody.error?.code, 'number');
  const own = await post(KEY_A);
  assert.equal(own.status, 200);
  const ownBody = await own.json() as { id?: number; result?: { tools?: { name: string }[] } };
  assert.equal(ownBody.id, 7);
  assert.ok(ownBody.result?.tools?.some((x) => x.name === 'alpha__echo'), JSON.stringify(ownBody));
});

test('DNS rebinding: an initialize from a foreign Origin is refused with 403, from the gateway\'s own origin accepted', { timeout: 30_000 }, async (t) => {
  const alpha = await startStreamableServer({ name: 'alpha' });
  const g = await startGateway(mcpConfig({ servers: `{ name: alpha, url: '${alpha.url}' }` }));
  t.after(async () => { await g.close(); await alpha.close(); });
  const initialize = (origin: string) => fetch(`${g.url()}/mcp`, {
    method: 'POST',
    headers: { origin, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } }),
  });

  const evil = await initialize('http://evil.example');
  assert.equal(evil.status, 403);
  assert.match(evil.headers.get('content-type') ?? '', /application\/json/);
  const body = await evil.json() as { jsonrpc?: string; id?: unknown; error?: { code?: unknown; message?: unknown } };
  assert.equal(body.jsonrpc, '2.0');
  assert.equal(body.id, null);
  assert.equal(typeof body.error?.code, 'number');
  assert.equal(typeof body.error?.message, 'string');
  assert.equal(alpha.sessions(), 0, 'nothing reached the upstream');

  const own = await initialize(g.url());
  assert.equal(own.status, 200);
  const ok = await own.json() as { result?: { protocolVersion?: string } };
  assert.equal(ok.result?.protocolVersion, '2025-06-18');
  assert.ok(own.headers.get('mcp-session-id'));
});

test('real npm servers over stdio: server-everything and server-memory are listed and called', { timeout: 60_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'agentedge-memory-'));
  const memoryFile = join(dir, 'memory.jsonl');
  const g = await startGateway(mcpConfig({
    servers: [
      `{ name: everything, command: "${process.execPath}", args: ["${EVERYTHING}", stdio], timeouts: { connect: 30s } }`,
      `{ name: memory, command: "${process.execPath}", args: ["${MEMORY}"], env: { MEMORY_FILE_PATH: '${memoryFile}' }, timeouts: { connect: 30s } }`,
    ],
  }));
  const { client } = await connect(g);
  t.after(async () => { await client.close(); await g.close(); rmSync(dir, { recursive: true, force: true }); });

  const names = (await client.listTools()).tools.map((x) => x.name);
  for (const n of ['everything__echo', 'everything__get-sum', 'memory__create_entities', 'memory__read_graph']) assert.ok(names.includes(n), `${n} in ${names.join()}`);
  assert.ok(names.every((n) => n.startsWith('everything__') || n.startsWith('memory__')), names.join());

  assert.equal(text(await client.callTool({ name: 'everything__echo', arguments: { message: 'through the gateway' } })), 'Echo: through the gateway');

  const entity = { name: 'Ada', entityType: 'person', observations: ['wrote the first program'] };
  await client.callTool({ name: 'memory__create_entities', arguments: { entities: [entity] } });
  const graph = await client.callTool({ name: 'memory__read_graph', arguments: {} });
  assert.deepEqual((graph.structuredContent as { entities: unknown[] }).entities, [entity]);
  assert.match(readFileSync(memoryFile, 'utf8'), /"name":"Ada"/, 'the env reached the process: it wrote where it was told');
});

test('admin: an idle stdio process is stopped after idleTimeout and started again by the next call', { timeout: 30_000 }, async (t) => {
  const g = await startGateway(mcpConfig({
    admin: true,
    servers: [stdioServer('local', ', idleTimeout: 300ms'), stdioServer('spare', ', idleTimeout: 300ms')],
  }));
  const { client } = await connect(g);
  t.after(async () => { await client.close(); await g.close(); });
  /** A server's entry in admin GET /mcp/servers. */
  const status = async (name: string) => {
    const res = await fetch(`${g.adminUrl()}/mcp/servers`);
    assert.equal(res.status, 200);
    const body = await res.json() as { backends: Record<string, { servers: { name: string; state: string; connections: number }[] }> };
    return body.backends.tools!.servers.find((s) => s.name === name)!;
  };
  const local = () => status('local');
  const stopped = (pid: number) => until(`process ${pid} to be stopped when idle`, async () => {
    const s = await local();
    return !alive(pid) && s.state === 'idle' && s.connections === 0 ? true : undefined;
  });

  // initialize started every server; one that is never called is stopped all the same.
  await until('spare to be stopped when idle', async () => ((await status('spare')).state === 'idle' ? true : undefined));

  const first = Number(text(await client.callTool({ name: 'local__pid', arguments: {} })));
  assert.ok(alive(first));
  assert.equal((await local()).state, 'ready');
  await stopped(first);
  assert.ok(g.logs.some((l) => l.upstream === 'local' && /stopped after 300 ms idle/.test(String(l.msg))));

  const second = Number(text(await client.callTool({ name: 'local__pid', arguments: {} })));
  assert.notEqual(second, first);
  assert.ok(alive(second));
  assert.equal((await local()).state, 'ready');
  await stopped(second);
});
