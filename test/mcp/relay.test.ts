// MCP relays end to end: what travels between a client and a server through the gateway
// besides plain calls — progress (tokens rewritten both ways), a server's sampling and
// elicitation requests, cancellation, the merged list's pages, the legacy SSE transport
// downstream, a 2025-03-26 batch, and list_changed on the standalone stream. Real sockets,
// the SDK's own Client, the SDK servers of fixtures/servers.ts.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import {
  CreateMessageRequestSchema, ElicitRequestSchema, ListToolsResultSchema, ToolListChangedNotificationSchema,
  type ClientCapabilities, type Progress,
} from '@modelcontextprotocol/sdk/types.js';
import { startGateway, type TestGateway } from '../helpers/gateway.js';
import { connectClient } from './fixtures/gateway.js';
import { cancelled, slowStarted, startStreamableServer, type RunningFixture } from './fixtures/servers.js';

let alpha: RunningFixture;
let many: RunningFixture;
let watched: RunningFixture;
let g: TestGateway;

before(async () => {
  alpha = await startStreamableServer({ name: 'alpha' });
  many = await startStreamableServer({ name: 'many', manyTools: 150 });
  // Its own server and route: only the list_changed test opens sessions on it, so its
  // count of open standalone streams is that test's alone.
  watched = await startStreamableServer({ name: 'watched' });
  g = await startGateway(`
gateway: { admin: off }
listeners:
  - name: edge
    port: 0
    routes:
      - { name: tools, match: { path: /mcp }, backend: tools }
      - { name: paged, match: { path: /paged }, backend: paged }
      - { name: watch, match: { path: /watch }, backend: watch }
backends:
  tools:
    mcp:
      servers:
        - { name: alpha, url: ${alpha.url} }
  paged:
    mcp:
      servers:
        - { name: many, url: ${many.url} }
  watch:
    mcp:
      servers:
        - { name: w, url: ${watched.url} }
`);
});

after(async () => {
  await g?.close();
  await alpha?.close();
  await many?.close();
  await watched?.close();
});

const connect = (path = '/mcp', capabilities: ClientCapabilities = {}, fetchFn?: typeof fetch): Promise<Client> =>
  connectClient(`${g.url()}${path}`, { capabilities, fetch: fetchFn });

/** Waits until `cond` holds, checking every few ms, failing after `ms`. */
async function until(cond: () => boolean, what: string, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** The text of a tool result's first content block. */
const text = (r: unknown): string => (r as { content: { text: string }[] }).content[0]!.text;

test('progress notifications reach the caller with its own token, then the result', async () => {
  const client = await connect();
  try {
    const seen: Progress[] = [];
    const errors: Error[] = [];
    // The SDK reports a progress notification with a token it does not know as an error.
    client.onerror = (e) => { errors.push(e); };
    const r = await client.callTool({ name: 'alpha__progress', arguments: { steps: 3 } }, undefined, { onprogress: (p) => { seen.push(p); } });
    assert.equal(text(r), 'done 3');
    assert.deepEqual(seen.map((p) => [p.progress, p.total]), [[1, 3], [2, 3], [3, 3]]);
    assert.deepEqual(errors, []);
  } finally {
    await client.close();
  }
});

test('a server\'s sampling request reaches a client that declared sampling; one that did not gets an error result', async () => {
  const client = await connect('/mcp', { sampling: {} });
  const plain = await connect();
  try {
    const asked: string[] = [];
    client.setRequestHandler(CreateMessageRequestSchema, (req) => {
      asked.push(String((req.params.messages[0]!.content as { text?: string }).text));
      return { role: 'assistant', content: { type: 'text', text: 'forty-two' }, model: 'test-model' };
    });
    const r = await client.callTool({ name: 'alpha__ask-llm', arguments: { question: 'meaning of life?' } });
    assert.equal(text(r), 'sampled:forty-two');
    assert.deepEqual(asked, ['meaning of life?']);

    // The gateway refuses the relay (the server's sendRequest fails), and the SDK server
    // turns the failing tool into an isError result naming why.
    const refused = await plain.callTool({ name: 'alpha__ask-llm', arguments: { question: 'x' } });
    assert.equal(refused.isError, true);
    assert.match(text(refused), /did not declare the sampling capability/);
  } finally {
    await client.close();
    await plain.close();
  }
});

test('a server\'s elicitation request reaches a client that declared elicitation; one that did not gets an error result', async () => {
  const client = await connect('/mcp', { elicitation: {} });
  const plain = await connect();
  try {
    const asked: string[] = [];
    client.setRequestHandler(ElicitRequestSchema, (req) => {
      asked.push(req.params.message);
      return { action: 'accept', content: { name: 'Ada' } };
    });
    const r = await client.callTool({ name: 'alpha__ask-user', arguments: {} });
    assert.equal(text(r), 'accept:Ada');
    assert.deepEqual(asked, ['Your name?']);

    const refused = await plain.callTool({ name: 'alpha__ask-user', arguments: {} });
    assert.equal(refused.isError, true);
    assert.match(text(refused), /did not declare the elicitation capability/);
  } finally {
    await client.close();
    await plain.close();
  }
});

test('a call the client cancels is cancelled at the server', async () => {
  const client = await connect();
  try {
    const started = slowStarted.length;
    const before = cancelled.length;
    const abort = new AbortController();
    const errors: Error[] = [];
    client.onerror = (e) => { errors.push(e); };
    const call = client.callTool({ name: 'alpha__slow', arguments: {} }, undefined, { signal: abort.signal });
    await until(() => slowStarted.length > started, 'the slow call to reach the server');
    abort.abort('changed my mind');
    await assert.rejects(call, /changed my mind/);
    await until(() => cancelled.length > before, 'the server to see the cancellation');
    assert.deepEqual(cancelled.slice(before), ['alpha']);
    // MCP's cancellation sends no response: the SDK reports one for an id it forgot as an error.
    const next = await client.callTool({ name: 'alpha__echo', arguments: { text: 'next' } });
    assert.equal(text(next), 'alpha:next');
    assert.deepEqual(errors.map((e) => e.message), []);
  } finally {
    await client.close();
  }
});

test('a long merged list comes in pages of 100 with a cursor; every tool arrives once; a bad cursor is -32602', async () => {
  // What the server itself has, asked directly.
  const direct = await connectClient(many.url);
  const client = await connect('/paged');
  try {
    const expected = (await direct.listTools()).tools.map((t) => `many__${t.name}`).sort();
    assert.ok(expected.length > 150, `the fixture has ${expected.length} tools`);

    const pages: string[][] = [];
    let cursor: string | undefined;
    do {
      const page = await client.request({ method: 'tools/list', params: cursor === undefined ? {} : { cursor } }, ListToolsResultSchema);
      pages.push(page.tools.map((t) => t.name));
      cursor = page.nextCursor;
      assert.ok(pages.length <= 5, 'the cursor must end');
    } while (cursor !== undefined);
    assert.deepEqual(pages.map((p) => p.length), [100, expected.length - 100]);
    const all = pages.flat();
    assert.equal(new Set(all).size, all.length, 'no tool twice');
    assert.deepEqual([...all].sort(), expected);

    await assert.rejects(
      client.request({ method: 'tools/list', params: { cursor: 'not-a-cursor' } }, ListToolsResultSchema),
      (e: { code?: number }) => e.code === -32602,
    );
  } finally {
    await client.close();
    await direct.close();
  }
});

test('the legacy SSE transport downstream lists and calls tools', async () => {
  const client = new Client({ name: 'legacy', version: '1.0.0' });
  await client.connect(new SSEClientTransport(new URL(`${g.url()}/mcp/sse`)));
  try {
    const { tools } = await client.listTools();
    assert.ok(tools.some((t) => t.name === 'alpha__echo'), tools.map((t) => t.name).join());
    const r = await client.callTool({ name: 'alpha__echo', arguments: { text: 'old school' } });
    assert.equal(text(r), 'alpha:old school');
  } finally {
    await client.close();
  }
});

test('a JSON-RPC batch of a 2025-03-26 session is answered with a JSON array', async () => {
  const url = `${g.url()}/mcp`;
  const headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
  const init = await fetch(url, {
    method: 'POST', headers,
    body: JSON.stringify({ jsonrpc: '2.0', id: 0, method: 'initialize', params: { protocolVersion: '2025-03-26', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } }),
  });
  assert.equal(init.status, 200);
  const hello = await init.json() as { result: { protocolVersion: string } };
  assert.equal(hello.result.protocolVersion, '2025-03-26');
  const sid = init.headers.get('mcp-session-id');
  assert.ok(sid);
  const session = { ...headers, 'mcp-session-id': sid, 'mcp-protocol-version': '2025-03-26' };
  try {
    const initialized = await fetch(url, { method: 'POST', headers: session, body: JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }) });
    assert.equal(initialized.status, 202);
    await initialized.arrayBuffer();

    const res = await fetch(url, {
      method: 'POST', headers: session,
      body: JSON.stringify([
        { jsonrpc: '2.0', id: 1, method: 'tools/list' },
        { jsonrpc: '2.0', method: 'notifications/roots/list_changed' },
        { jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'alpha__echo', arguments: { text: 'batched' } } },
        { jsonrpc: '2.0', id: 3, method: 'no/such/method' },
      ]),
    });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
    const out = await res.json() as { id: number; result?: Record<string, unknown>; error?: { code: number } }[];
    assert.ok(Array.isArray(out), 'an array');
    // Responses may come in any order; one per request, none for the notification.
    const byId = new Map(out.map((r) => [r.id, r]));
    assert.deepEqual([...byId.keys()].sort(), [1, 2, 3]);
    assert.equal(out.length, 3);
    assert.ok((byId.get(1)!.result!.tools as { name: string }[]).some((t) => t.name === 'alpha__echo'));
    assert.deepEqual(byId.get(2)!.result!.content, [{ type: 'text', text: 'alpha:batched' }]);
    assert.equal(byId.get(3)!.error!.code, -32601);
  } finally {
    const del = await fetch(url, { method: 'DELETE', headers: session });
    assert.equal(del.status, 200);
  }
});

test('tools/list_changed of a server reaches the client on its standalone stream', async () => {
  // The SDK opens the GET stream on its own after initialize; the test waits for its answer.
  let streamOpen = false;
  const watchFetch: typeof fetch = async (input, init) => {
    const res = await fetch(input, init);
    if ((init?.method ?? 'GET') === 'GET' && res.ok) streamOpen = true;
    return res;
  };
  const client = await connect('/watch', {}, watchFetch);
  try {
    let changed = 0;
    client.setNotificationHandler(ToolListChangedNotificationSchema, () => { changed++; });
    // Both standalone streams must be up, or the notification has nowhere to go (it is
    // not queued by the SDK server, nor by the gateway).
    await until(() => streamOpen, 'the client\'s GET stream');
    await until(() => watched.standaloneStreams() > 0, 'the gateway\'s GET stream to the server');
    assert.ok(!(await client.listTools()).tools.some((t) => t.name === 'w__late'));

    const r = await client.callTool({ name: 'w__add-tool', arguments: {} });
    assert.equal(text(r), 'added');
    await until(() => changed > 0, 'notifications/tools/list_changed');
    assert.equal(changed, 1);
    const { tools } = await client.listTools();
    assert.ok(tools.some((t) => t.name === 'w__late'), tools.map((t) => t.name).join());
  } finally {
    await client.close();
  }
});
