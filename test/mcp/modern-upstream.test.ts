// Servers that speak only 2026-07-28 behind the gateway (SDK 2.x servers with
// `legacy: 'reject'`, over Streamable HTTP and stdio): the gateway finds the revision from
// the refused initialize, then sends every request in its envelope with the mirrored headers
// (`Mcp-Param-*` included), turns input_required rounds into the server's requests to the
// client session (elicitation, sampling) and back, relays progress and the list changes of
// subscriptions/listen — to clients on the older revisions (SDK 1.x Client) and on
// 2026-07-28 itself (SDK 2.x Client).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { request } from 'undici';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import {
  CreateMessageRequestSchema, ElicitRequestSchema, LoggingMessageNotificationSchema, ResourceUpdatedNotificationSchema, ToolListChangedNotificationSchema,
  type ClientCapabilities, type Progress,
} from '@modelcontextprotocol/sdk/types.js';
import { startGateway, type TestGateway } from '../helpers/gateway.js';
import { connectClient, connectModernClient, mcpConfig } from './fixtures/gateway.js';
import { startStreamableServer, type RunningFixture } from './fixtures/servers.js';
import { startModernServer, type ModernFixture } from './fixtures/modern-server.js';

const MODERN_STDIO = fileURLToPath(new URL('./fixtures/modern-stdio-server.mjs', import.meta.url));

let m: ModernFixture;
let alpha: RunningFixture;
let g: TestGateway;

before(async () => {
  m = await startModernServer({ name: 'm' });
  alpha = await startStreamableServer({ name: 'alpha' });
  g = await startGateway(mcpConfig({
    admin: true,
    servers: [
      `{ name: m, url: "${m.url}" }`,
      `{ name: alpha, url: "${alpha.url}" }`,
      `{ name: ms, command: node, args: ["${MODERN_STDIO}"], env: { FIXTURE_TAG: modern-stdio } }`,
    ],
  }));
});

after(async () => {
  await g?.close();
  await m?.close();
  await alpha?.close();
});

/** A client on 2025-11-25 (SDK 1.x) with the given capabilities. */
const legacyClient = (capabilities: ClientCapabilities = {}): Promise<Client> => connectClient(`${g.url()}/mcp`, { capabilities });

const text = (r: unknown): string => ((r as { content: { type: string; text: string }[] }).content[0]!).text;

test('a 2025-era client lists and calls a 2026-07-28-only server next to an older one; the server is probed once', async () => {
  const a = await legacyClient();
  const b = await legacyClient();
  try {
    const names = (await a.listTools()).tools.map((t) => t.name);
    for (const n of ['m__echo', 'm__confirm', 'm__regional', 'alpha__echo', 'ms__echo']) assert.ok(names.includes(n), `${n} in ${names.join()}`);
    assert.equal(text(await a.callTool({ name: 'm__echo', arguments: { text: 'hi' } })), 'm:hi');
    assert.equal(text(await b.callTool({ name: 'm__echo', arguments: { text: 'again' } })), 'm:again');
    assert.equal(text(await a.callTool({ name: 'alpha__echo', arguments: { text: 'old' } })), 'alpha:old');
    assert.equal(text(await a.callTool({ name: 'ms__echo', arguments: { text: 'pipe' } })), 'modern-stdio:pipe');
    const p = await a.getPrompt({ name: 'm__greet', arguments: { who: 'Ada' } });
    assert.deepEqual(p.messages[0]!.content, { type: 'text', text: 'Hello Ada from m' });
    const res = await a.readResource({ uri: 'm__doc://m/readme' });
    assert.equal((res.contents[0] as { text: string }).text, 'readme of m');
    assert.equal(res.contents[0]!.uri, 'm__doc://m/readme');
    // The instructions of the modern server (from server/discover) are merged.
    assert.match(a.getInstructions() ?? '', /m speaks 2026-07-28 only/);
    // One refused initialize for the server, whatever the number of client sessions.
    assert.equal(m.methods.filter((x) => x === '(none)').length, 1, m.methods.join());
    assert.ok(m.methods.includes('server/discover'));
  } finally {
    await a.close();
    await b.close();
  }
  const r = await request(`${g.adminUrl()}/mcp/servers`);
  const view = (await r.body.json()) as { backends: { tools: { servers: { name: string; state: string; protocolVersion: string | null }[] } } };
  const byName = Object.fromEntries(view.backends.tools.servers.map((s) => [s.name, s]));
  assert.equal(byName.m!.protocolVersion, '2026-07-28');
  assert.equal(byName.ms!.protocolVersion, '2026-07-28');
  assert.equal(byName.alpha!.protocolVersion, '2025-11-25');
});

test('a tool argument annotated x-mcp-header travels as Mcp-Param-*, encoded when not plain ASCII; a tool with a broken annotation is left out', async () => {
  const c = await legacyClient();
  try {
    const names = (await c.listTools()).tools.map((t) => t.name);
    assert.ok(!names.includes('m__badly_annotated'), names.join());
    assert.equal(text(await c.callTool({ name: 'm__regional', arguments: { region: 'us-west1' } })), 'region us-west1; header us-west1');
    const odd = 'eu-north 1 ü';
    assert.equal(text(await c.callTool({ name: 'm__regional', arguments: { region: odd } })), `region ${odd}; header =?base64?${Buffer.from(odd).toString('base64')}?=`);
  } finally {
    await c.close();
  }
});

test('input_required rounds reach a 2025-era client as elicitation and sampling requests, and their answers go back', async () => {
  const c = await legacyClient({ elicitation: {}, sampling: {} });
  const asked: string[] = [];
  c.setRequestHandler(ElicitRequestSchema, async (req) => {
    asked.push(req.params.message);
    return { action: 'accept', content: { sure: true } };
  });
  c.setRequestHandler(CreateMessageRequestSchema, async (req) => {
    const content = req.params.messages[0]!.content as { text: string };
    return { role: 'assistant', model: 'test-model', content: { type: 'text', text: `echo of ${content.text}` } };
  });
  try {
    assert.equal(text(await c.callTool({ name: 'm__confirm', arguments: { what: 'deploy' } })), 'deploy: confirmed [state echoed]');
    assert.deepEqual(asked, ['Really deploy?']);
    assert.equal(text(await c.callTool({ name: 'm__sample', arguments: { prompt: 'hi model' } })), 'model said: echo of hi model');
    // The same over stdio.
    assert.equal(text(await c.callTool({ name: 'ms__confirm', arguments: { what: 'ship' } })), 'ship: accept');
  } finally {
    await c.close();
  }
});

test('a client without the capability a modern server needs gets an error naming the server and the feature', async () => {
  const c = await legacyClient();
  try {
    const r = await c.callTool({ name: 'm__confirm', arguments: { what: 'x' } }).then(() => null, (e: unknown) => e as Error);
    assert.ok(r !== null, 'the call failed');
    assert.match(r.message, /\bm\b/);
    assert.match(r.message, /elicitation/);
  } finally {
    await c.close();
  }
});

test('progress from a modern server reaches the caller with its own token', async () => {
  const c = await legacyClient();
  try {
    const seen: Progress[] = [];
    const r = await c.callTool({ name: 'm__count', arguments: { steps: 3 } }, undefined, { onprogress: (p) => { seen.push(p); } });
    assert.equal(text(r), 'counted 3');
    assert.deepEqual(seen.map((p) => p.progress), [1, 2, 3]);
  } finally {
    await c.close();
  }
});

test('a list change announced on subscriptions/listen reaches connected clients', async () => {
  // The session's upstream connection opens its own listen stream: wait for it, then change.
  const listening = m.nextListen();
  const c = await legacyClient();
  try {
    await c.listTools();
    const changed = new Promise<void>((resolve) => { c.setNotificationHandler(ToolListChangedNotificationSchema, () => { resolve(); }); });
    await listening;
    m.addTool('late');
    await changed;
    assert.ok((await c.listTools()).tools.some((t) => t.name === 'm__late'));
  } finally {
    await c.close();
  }
});

test('resources/subscribe becomes a filter of the listen stream, and the update reaches the subscriber with its namespaced URI', async () => {
  const c = await legacyClient();
  try {
    await c.listTools();
    const updated = new Promise<string>((resolve) => { c.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => { resolve(n.params.uri); }); });
    // Subscribing opens the listen stream again with the URI in its filter.
    const relisten = m.nextListen();
    await c.subscribeResource({ uri: 'm__doc://m/readme' });
    await relisten;
    m.updated('doc://m/readme');
    assert.equal(await updated, 'm__doc://m/readme');
  } finally {
    await c.close();
  }
});

test('the log level a client set travels with each request to a modern server, and its log messages come back named', async () => {
  const c = await legacyClient();
  const logs: { level: string; logger?: string; data: unknown }[] = [];
  c.setNotificationHandler(LoggingMessageNotificationSchema, (n) => { logs.push(n.params); });
  try {
    assert.equal(text(await c.callTool({ name: 'm__chatty', arguments: {} })), 'done talking');
    assert.equal(logs.length, 0, 'no level set: no messages');
    await c.setLoggingLevel('info');
    assert.equal(text(await c.callTool({ name: 'm__chatty', arguments: {} })), 'done talking');
    assert.deepEqual(logs.map((l) => [l.level, l.logger, l.data]), [['info', 'm/worker', 'working on it']]);
  } finally {
    await c.close();
  }
});

test('a 2026-07-28 client reaches a 2026-07-28-only server through the gateway, input_required rounds included', async () => {
  const c = await connectModernClient(`${g.url()}/mcp`, { elicitation: {} });
  c.setRequestHandler('elicitation/create', async () => ({ action: 'accept', content: { sure: true } }));
  try {
    const r = await c.callTool({ name: 'm__echo', arguments: { text: 'now' } });
    assert.equal(text(r), 'm:now');
    assert.equal(text(await c.callTool({ name: 'm__confirm', arguments: { what: 'merge' } })), 'merge: confirmed [state echoed]');
  } finally {
    await c.close();
  }
});

test('a 2026-07-28 client\'s Mcp-Param-* headers must agree with the arguments the tool annotates (-32020 when not)', async () => {
  // The SDK 2.x client mirrors the annotated argument itself, from the federated definition.
  const c = await connectModernClient(`${g.url()}/mcp`);
  try {
    const listed = (await c.listTools()).tools.find((t) => t.name === 'm__regional');
    assert.ok(listed, 'the annotated tool is listed');
    assert.equal(text(await c.callTool({ name: 'm__regional', arguments: { region: 'ap-south' } })), 'region ap-south; header ap-south');
  } finally {
    await c.close();
  }
  const call = async (headers: Record<string, string>): Promise<{ status: number; body: { error?: { code: number; message: string } } }> => {
    const r = await request(`${g.url()}/mcp`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': '2026-07-28', 'mcp-method': 'tools/call', 'mcp-name': 'm__regional', ...headers },
      body: JSON.stringify({ jsonrpc: '2.0', id: 9, method: 'tools/call', params: { name: 'm__regional', arguments: { region: 'eu 1' }, _meta: { 'io.modelcontextprotocol/protocolVersion': '2026-07-28', 'io.modelcontextprotocol/clientCapabilities': {} } } }),
    });
    return { status: r.statusCode, body: await r.body.json() as { error?: { code: number; message: string } } };
  };
  const bads: Record<string, string>[] = [{}, { 'mcp-param-region': 'us-east' }, { 'mcp-param-region': '=?base64?dXMtZWFzdA==?=' }];
  for (const bad of bads) {
    const r = await call(bad);
    assert.equal(r.status, 400, JSON.stringify(bad));
    assert.equal(r.body.error?.code, -32020);
    assert.match(r.body.error?.message ?? '', /Mcp-Param-Region must equal params\.arguments\.region/);
  }
  // Plain or base64, the same value passes.
  for (const good of [{ 'mcp-param-region': 'eu 1' }, { 'mcp-param-region': `=?base64?${Buffer.from('eu 1').toString('base64')}?=` }]) {
    assert.equal((await call(good)).status, 200, JSON.stringify(good));
  }
});
