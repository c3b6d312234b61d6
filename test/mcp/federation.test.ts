// MCP federation end to end: the SDK's own Client (Streamable HTTP) talks to agentedge,
// which federates a Streamable HTTP server, a legacy SSE server and a stdio server (the
// project's fixture, with `env`) built with the SDK: namespacing, routing, prompts,
// resources and templates, include / exclude, errors that name the server.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { startGateway, type TestGateway } from '../helpers/gateway.js';
import { connectClient, mcpConfig } from './fixtures/gateway.js';
import { startSseServer, startStreamableServer, type RunningFixture } from './fixtures/servers.js';

const STDIO = fileURLToPath(new URL('./fixtures/stdio-server.mjs', import.meta.url));

let alpha: RunningFixture;
let legacy: RunningFixture;
let g: TestGateway;

before(async () => {
  alpha = await startStreamableServer({ name: 'alpha', instructions: 'Alpha does echo.' });
  legacy = await startSseServer({ name: 'old' });
  g = await startGateway(mcpConfig({
    servers: [
      `{ name: alpha, url: "${alpha.url}", tools: { exclude: [delete_*] } }`,
      `{ name: old_sse, url: "${legacy.url}", transport: sse, tools: { include: [echo, add] } }`,
      `{ name: local, command: "${process.execPath}", args: ["${STDIO}"], env: { FIXTURE_TAG: tagged } }`,
      '{ name: gone, url: "http://127.0.0.1:9/mcp", timeouts: { connect: 2s } }',
    ],
  }));
});

after(async () => {
  await g?.close();
  await alpha?.close();
  await legacy?.close();
});

const connect = (): Promise<Client> => connectClient(`${g.url()}/mcp`);

test('tools of every server that answers are listed as <server>__<name>, filtered by include/exclude', async () => {
  const client = await connect();
  try {
    const { tools } = await client.listTools();
    const names = tools.map((t) => t.name).sort();
    assert.ok(names.includes('alpha__echo') && names.includes('alpha__add') && names.includes('alpha__progress'), names.join());
    assert.ok(!names.includes('alpha__delete_everything'), 'excluded by glob');
    assert.deepEqual(names.filter((n) => n.startsWith('old_sse__')), ['old_sse__add', 'old_sse__echo']);
    assert.deepEqual(names.filter((n) => n.startsWith('local__')), ['local__crash', 'local__echo', 'local__pid']);
    assert.ok(!names.some((n) => n.startsWith('gone__')), 'a server that cannot be reached is left out');
    assert.equal(client.getInstructions()?.includes('Alpha does echo.'), true);
  } finally {
    await client.close();
  }
});

test('calls are routed to the server a name belongs to, with the original name and env', async () => {
  const client = await connect();
  try {
    const a = await client.callTool({ name: 'alpha__echo', arguments: { text: 'hi' } });
    assert.deepEqual(a.content, [{ type: 'text', text: 'alpha:hi' }]);
    const sum = await client.callTool({ name: 'alpha__add', arguments: { a: 2, b: 3 } });
    assert.deepEqual(sum.structuredContent, { sum: 5 });
    const o = await client.callTool({ name: 'old_sse__echo', arguments: { text: 'x' } });
    assert.deepEqual(o.content, [{ type: 'text', text: 'old:x' }]);
    const l = await client.callTool({ name: 'local__echo', arguments: { text: 'y' } });
    assert.deepEqual(l.content, [{ type: 'text', text: 'tagged:y' }]);
  } finally {
    await client.close();
  }
});

test('an excluded, unknown or unreachable tool is a JSON-RPC error naming what is wrong', async () => {
  const client = await connect();
  try {
    await assert.rejects(client.callTool({ name: 'alpha__delete_everything', arguments: {} }), /Unknown tool: alpha__delete_everything/);
    await assert.rejects(client.callTool({ name: 'nosuch__echo', arguments: {} }), /no server of this route is called "nosuch"/);
    await assert.rejects(client.callTool({ name: 'gone__echo', arguments: {} }), /MCP server gone/);
  } finally {
    await client.close();
  }
});

test('prompts, resources and resource templates are namespaced and read back from their server', async () => {
  const client = await connect();
  try {
    const { prompts } = await client.listPrompts();
    assert.ok(prompts.some((p) => p.name === 'alpha__greet'));
    const p = await client.getPrompt({ name: 'alpha__greet', arguments: { who: 'Ada' } });
    assert.deepEqual(p.messages[0]!.content, { type: 'text', text: 'Hello Ada from alpha' });
    const { resources } = await client.listResources();
    assert.ok(resources.some((r) => r.uri === 'alpha__doc://alpha/readme'), JSON.stringify(resources));
    const r = await client.readResource({ uri: 'alpha__doc://alpha/readme' });
    assert.deepEqual(r.contents, [{ uri: 'alpha__doc://alpha/readme', text: 'readme of alpha' }]);
    const { resourceTemplates } = await client.listResourceTemplates();
    assert.ok(resourceTemplates.some((t) => t.uriTemplate === 'alpha__note://alpha/{id}'));
    const n = await client.readResource({ uri: 'alpha__note://alpha/7' });
    assert.equal((n.contents[0] as { text: string }).text, 'note 7');
    await assert.rejects(client.readResource({ uri: 'nosuch__doc://x' }), (e: { code?: number }) => e.code === -32002);
  } finally {
    await client.close();
  }
});
