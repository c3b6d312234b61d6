// The 2026-07-28 revision through the gateway: the SDK 2.x Client pinned to it (stateless
// requests, server/discover, Mcp-Method / Mcp-Name headers, resultType, listens) reaches
// servers that speak 2025-era revisions, and raw requests that break the revision's rules
// get its errors (-32020 header mismatch, -32022 unsupported version, 404 for removed methods).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Client } from '@modelcontextprotocol/client';
import { startGateway, type TestGateway } from '../helpers/gateway.js';
import { connectModernClient, mcpConfig } from './fixtures/gateway.js';
import { startStreamableServer, type RunningFixture } from './fixtures/servers.js';

let alpha: RunningFixture;
let watched: RunningFixture;
let g: TestGateway;

before(async () => {
  alpha = await startStreamableServer({ name: 'alpha', instructions: 'Alpha does echo.' });
  watched = await startStreamableServer({ name: 'w' });
  g = await startGateway(mcpConfig({
    servers: [`{ name: alpha, url: "${alpha.url}", tools: { exclude: [delete_*] } }`, `{ name: w, url: "${watched.url}" }`],
  }));
});

after(async () => {
  await g?.close();
  await alpha?.close();
  await watched?.close();
});

const modernClient = (capabilities: Record<string, unknown> = {}): Promise<Client> => connectModernClient(`${g.url()}/mcp`, capabilities);

const META = {
  'io.modelcontextprotocol/protocolVersion': '2026-07-28',
  'io.modelcontextprotocol/clientCapabilities': {},
  'io.modelcontextprotocol/clientInfo': { name: 'raw', version: '1' },
};

async function post(body: Record<string, unknown>, headers: Record<string, string>): Promise<{ status: number; body: any }> {
  const r = await fetch(`${g.url()}/mcp`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers },
    body: JSON.stringify(body),
  });
  const text = await r.text();
  return { status: r.status, body: text === '' ? null : JSON.parse(text) };
}

test('a 2026-07-28 client discovers, lists and calls federated tools without a session', async () => {
  const client = await modernClient();
  try {
    assert.equal(client.getNegotiatedProtocolVersion(), '2026-07-28');
    const { tools } = await client.listTools();
    const names = tools.map((t) => t.name);
    assert.ok(names.includes('alpha__echo') && !names.includes('alpha__delete_everything'), names.join());
    const r = await client.callTool({ name: 'alpha__echo', arguments: { text: 'new' } });
    assert.deepEqual(r.content, [{ type: 'text', text: 'alpha:new' }]);
    const p = await client.getPrompt({ name: 'alpha__greet', arguments: { who: 'Eve' } });
    assert.deepEqual(p.messages[0]!.content, { type: 'text', text: 'Hello Eve from alpha' });
    const res = await client.readResource({ uri: 'alpha__doc://alpha/readme' });
    assert.equal((res.contents[0] as { text: string }).text, 'readme of alpha');
  } finally {
    await client.close();
  }
});

test('a modern request gets resultType, cache hints and no session id; discover names the revisions', async () => {
  const headers = { 'mcp-protocol-version': '2026-07-28', 'mcp-method': 'server/discover' };
  const d = await post({ jsonrpc: '2.0', id: 1, method: 'server/discover', params: { _meta: META } }, headers);
  assert.equal(d.status, 200);
  assert.equal(d.body.result.resultType, 'complete');
  assert.deepEqual(d.body.result.supportedVersions.slice(0, 2), ['2026-07-28', '2025-11-25']);
  assert.ok(d.body.result.capabilities.tools);
  assert.match(d.body.result.instructions, /Alpha does echo/);
  const list = await fetch(`${g.url()}/mcp`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json', 'mcp-protocol-version': '2026-07-28', 'mcp-method': 'tools/list' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list', params: { _meta: META } }),
  });
  assert.equal(list.headers.get('mcp-session-id'), null);
  const body = await list.json() as { result: { resultType: string; ttlMs: number; cacheScope: string; tools: unknown[] } };
  assert.equal(body.result.resultType, 'complete');
  assert.equal(body.result.ttlMs, 0);
  assert.equal(body.result.cacheScope, 'private');
  assert.ok(body.result.tools.length > 0);
});

test('requests that break the revision\'s rules get its errors', async () => {
  const call = (headers: Record<string, string>, meta: Record<string, unknown> = META, method = 'tools/call') =>
    post({ jsonrpc: '2.0', id: 3, method, params: { name: 'alpha__echo', arguments: { text: 'x' }, _meta: meta } }, headers);
  const ok = { 'mcp-protocol-version': '2026-07-28', 'mcp-method': 'tools/call', 'mcp-name': 'alpha__echo' };
  assert.equal((await call(ok)).status, 200);
  const noName = await call({ 'mcp-protocol-version': '2026-07-28', 'mcp-method': 'tools/call' });
  assert.equal(noName.status, 400);
  assert.equal(noName.body.error.code, -32020);
  const wrongMethod = await call({ ...ok, 'mcp-method': 'tools/list' });
  assert.equal(wrongMethod.body.error.code, -32020);
  const encoded = await call({ ...ok, 'mcp-name': `=?base64?${Buffer.from('alpha__echo').toString('base64')}?=` });
  assert.equal(encoded.status, 200, 'a base64-encoded Mcp-Name is decoded');
  const future = await call({ ...ok, 'mcp-protocol-version': '2099-01-01' }, { ...META, 'io.modelcontextprotocol/protocolVersion': '2099-01-01' });
  assert.equal(future.status, 400);
  assert.equal(future.body.error.code, -32022);
  assert.deepEqual(future.body.error.data.supported, ['2026-07-28']);
  const noCaps = await call(ok, { 'io.modelcontextprotocol/protocolVersion': '2026-07-28' });
  assert.equal(noCaps.status, 400);
  assert.equal(noCaps.body.error.code, -32602);
  const removed = await post({ jsonrpc: '2.0', id: 4, method: 'logging/setLevel', params: { level: 'info', _meta: META } }, { 'mcp-protocol-version': '2026-07-28', 'mcp-method': 'logging/setLevel' });
  assert.equal(removed.status, 404);
  assert.equal(removed.body.error.code, -32601);
  const get = await fetch(`${g.url()}/mcp`, { headers: { accept: 'text/event-stream', 'mcp-protocol-version': '2026-07-28' } });
  assert.equal(get.status, 405);
  await get.body?.cancel();
});

test('a server\'s sampling and elicitation reach a 2026-07-28 client as input_required rounds, the call held meanwhile', async () => {
  const client = await modernClient({ sampling: {}, elicitation: {} });
  const asked: string[] = [];
  client.setRequestHandler('sampling/createMessage', async (request) => {
    const first = request.params.messages[0]!.content as { text: string };
    asked.push(first.text);
    return { model: 'test-model', role: 'assistant', content: { type: 'text', text: 'forty-two' } };
  });
  client.setRequestHandler('elicitation/create', async () => ({ action: 'accept', content: { name: 'Ada' } }));
  try {
    // The SDK's client answers input_required by itself and retries with the requestState.
    const r = await client.callTool({ name: 'alpha__ask-llm', arguments: { question: 'meaning?' } });
    assert.deepEqual(r.content, [{ type: 'text', text: 'sampled:forty-two' }]);
    assert.deepEqual(asked, ['meaning?']);
    const e = await client.callTool({ name: 'alpha__ask-user', arguments: {} });
    assert.deepEqual(e.content, [{ type: 'text', text: 'accept:Ada' }]);
  } finally {
    await client.close();
  }
});

test('the raw rounds: input_required with the held request, a retry that answers it, a stale requestState refused', async () => {
  const headers = { 'mcp-protocol-version': '2026-07-28', 'mcp-method': 'tools/call', 'mcp-name': 'alpha__ask-llm' };
  const meta = { ...META, 'io.modelcontextprotocol/clientCapabilities': { sampling: {} } };
  const params = { name: 'alpha__ask-llm', arguments: { question: 'q?' }, _meta: meta };
  const first = await post({ jsonrpc: '2.0', id: 1, method: 'tools/call', params }, headers);
  assert.equal(first.status, 200);
  const round = first.body.result;
  assert.equal(round.resultType, 'input_required');
  const [key, request] = Object.entries(round.inputRequests as Record<string, { method: string; params: { messages: unknown[] } }>)[0]!;
  assert.equal(request.method, 'sampling/createMessage');
  assert.ok(typeof round.requestState === 'string' && round.requestState.length >= 16);
  const answer = { model: 'm', role: 'assistant', content: { type: 'text', text: 'raw' } };
  const second = await post({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { ...params, inputResponses: { [key]: answer }, requestState: round.requestState } }, headers);
  assert.equal(second.status, 200);
  assert.equal(second.body.result.resultType, 'complete');
  assert.deepEqual(second.body.result.content, [{ type: 'text', text: 'sampled:raw' }]);
  const stale = await post({ jsonrpc: '2.0', id: 3, method: 'tools/call', params: { ...params, inputResponses: { [key]: answer }, requestState: round.requestState } }, headers);
  assert.equal(stale.body.error.code, -32602);
  assert.match(stale.body.error.message, /requestState is unknown or has expired/);
});

test('a 2026-07-28 client that did not declare sampling gets an error naming the capability', async () => {
  const client = await modernClient({});
  try {
    const r = await client.callTool({ name: 'alpha__ask-llm', arguments: { question: 'q' } });
    assert.equal(r.isError, true);
    assert.match(JSON.stringify(r.content), /did not declare the sampling capability/);
  } finally {
    await client.close();
  }
});

async function until(cond: () => boolean, what: string, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

test('subscriptions/listen acknowledges what it honours, then carries list changes tagged with its id', async () => {
  const modern = (method: string, id: number, params: Record<string, unknown>, extra: Record<string, string> = {}) => fetch(`${g.url()}/mcp`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': '2026-07-28', 'mcp-method': method, ...extra },
    body: JSON.stringify({ jsonrpc: '2.0', id, method, params: { ...params, _meta: META } }),
  });
  const listen = await modern('subscriptions/listen', 'L1' as unknown as number, { notifications: { toolsListChanged: true, bogus: true } });
  assert.equal(listen.status, 200);
  assert.match(listen.headers.get('content-type') ?? '', /text\/event-stream/);
  const reader = listen.body!.getReader();
  const events: any[] = [];
  let buffered = '';
  const pump = (async () => {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffered += Buffer.from(value).toString();
      let at: number;
      while ((at = buffered.indexOf('\n\n')) !== -1) {
        const block = buffered.slice(0, at);
        buffered = buffered.slice(at + 2);
        const data = block.split('\n').filter((l) => l.startsWith('data:')).map((l) => l.slice(5).trim()).join('');
        if (data !== '') events.push(JSON.parse(data));
      }
    }
  })();
  try {
    await until(() => events.length > 0, 'the acknowledgement');
    assert.deepEqual(events[0], {
      jsonrpc: '2.0', method: 'notifications/subscriptions/acknowledged',
      params: { notifications: { toolsListChanged: true }, _meta: { 'io.modelcontextprotocol/subscriptionId': 'L1' } },
    });
    // The caller's upstream session to w (and its standalone stream) exists once it called w.
    const first = await modern('tools/call', 2, { name: 'w__echo', arguments: { text: 'a' } }, { 'mcp-name': 'w__echo' });
    assert.equal(first.status, 200);
    await first.body?.cancel();
    await until(() => watched.standaloneStreams() > 0, 'the gateway\'s stream to w');
    const add = await modern('tools/call', 3, { name: 'w__add-tool', arguments: {} }, { 'mcp-name': 'w__add-tool' });
    assert.equal(add.status, 200);
    await add.body?.cancel();
    await until(() => events.length > 1, 'notifications/tools/list_changed on the listen');
    assert.equal(events[1].method, 'notifications/tools/list_changed');
    assert.equal(events[1].params._meta['io.modelcontextprotocol/subscriptionId'], 'L1');
  } finally {
    await reader.cancel();
    await pump.catch(() => undefined);
  }
});

test('a call continued over input_required rounds is one call: admitted and counted once, one ledger entry', async (t) => {
  const server = await startStreamableServer({ name: 'alpha' });
  t.after(() => server.close());
  const gw = await startGateway(mcpConfig({
    admin: true,
    state: '{ sqlite: ./state.db }',
    servers: `{ name: alpha, url: "${server.url}" }`,
    routePolicies: ['once'],
    policies: `
policies:
  once:
    rateLimit: { key: 'mcp.tool.name', requests: 1/day }
`,
  }));
  t.after(() => gw.close());
  const client = await connectModernClient(`${gw.url()}/mcp`, { sampling: {} });
  t.after(() => client.close());
  client.setRequestHandler('sampling/createMessage', async () => ({ model: 'm', role: 'assistant', content: { type: 'text', text: 'once' } }));
  // Two rounds (input_required, then the retry with the answer), one call under a limit of one.
  const r = await client.callTool({ name: 'alpha__ask-llm', arguments: { question: 'q' } });
  assert.deepEqual(r.content, [{ type: 'text', text: 'sampled:once' }]);
  await assert.rejects(client.callTool({ name: 'alpha__ask-llm', arguments: { question: 'again' } }), /rate/i);
  let entries: { model: string; outcome: string }[] = [];
  for (let i = 0; i < 200 && entries.length < 2; i++) {
    const u = await fetch(`${gw.adminUrl()}/usage`);
    entries = ((await u.json()) as { usage: { model: string; outcome: string }[] }).usage;
    if (entries.length < 2) await new Promise((resolve) => setTimeout(resolve, 20));
  }
  assert.deepEqual(entries.map((e) => [e.model, e.outcome]).reverse(), [['alpha__ask-llm', 'ok'], ['alpha__ask-llm', 'refused']]);
});
