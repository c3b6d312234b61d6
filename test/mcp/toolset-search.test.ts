// `toolset: search`: the client sees two tools instead of every federated definition;
// search_tools finds tools by words, call_tool calls one by name, and the tool actually
// called still passes include / exclude and the call gate.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startGateway } from '../helpers/gateway.js';
import { connectClient, mcpConfig } from './fixtures/gateway.js';
import { startStreamableServer } from './fixtures/servers.js';

test('toolset: search lists two tools, finds by words, calls through the gate', async (t) => {
  const alpha = await startStreamableServer({ name: 'alpha' });
  t.after(() => alpha.close());
  const beta = await startStreamableServer({ name: 'beta', manyTools: 30 });
  t.after(() => beta.close());
  const g = await startGateway(mcpConfig({
    backend: 'toolset: search',
    servers: [`{ name: alpha, url: "${alpha.url}", tools: { exclude: [delete_*] } }`, `{ name: beta, url: "${beta.url}" }`],
    routePolicies: ['no-add'],
    policies: `
policies:
  no-add:
    authorize:
      deny: ['mcp.server == "beta" && mcp.tool.name == "add"']
`,
  }));
  t.after(() => g.close());
  const client = await connectClient(`${g.url()}/mcp`);
  try {
    const { tools } = await client.listTools();
    assert.deepEqual(tools.map((t) => t.name), ['search_tools', 'call_tool']);

    const found = await client.callTool({ name: 'search_tools', arguments: { query: 'adds two numbers' } });
    const names = (found.structuredContent as { tools: { name: string }[] }).tools.map((t) => t.name);
    assert.equal(names[0], 'alpha__add', names.join());
    assert.ok(!names.includes('beta__add'), 'a tool the caller may not call is not found either');
    assert.ok(!names.some((n) => n.includes('delete_everything')), 'an excluded tool is not found');

    const sum = await client.callTool({ name: 'call_tool', arguments: { name: 'alpha__add', arguments: { a: 20, b: 22 } } });
    assert.deepEqual(sum.structuredContent, { sum: 42 });
    await assert.rejects(client.callTool({ name: 'call_tool', arguments: { name: 'beta__add', arguments: { a: 1, b: 1 } } }),
      (e: { data?: { code?: string } }) => e.data?.code === 'AE_FORBIDDEN');
    await assert.rejects(client.callTool({ name: 'call_tool', arguments: { name: 'alpha__delete_everything', arguments: {} } }), /Unknown tool/);
    await assert.rejects(client.callTool({ name: 'alpha__echo', arguments: { text: 'x' } }), /toolset: search/);
    const none = await client.callTool({ name: 'search_tools', arguments: { query: 'zzzqqq' } });
    assert.deepEqual((none.structuredContent as { tools: unknown[] }).tools, []);
  } finally {
    await client.close();
  }
});
