// DNS rebinding on the MCP endpoint: a page whose name was rebound to the gateway's address
// sends its own name as Host and Origin; a loopback endpoint answers only loopback names and
// `allowedHosts`. And `namespace: false`: one server served under its own names.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'undici';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { ConfigError } from '../../src/config/index.js';
import { loadConfigText } from '../../src/gateway/config.js';
import { startGateway } from '../helpers/gateway.js';
import { connectClient, mcpConfig } from './fixtures/gateway.js';
import { startStreamableServer } from './fixtures/servers.js';

const alphaAt = (url: string) => `{ name: alpha, url: "${url}" }`;

const INIT = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '1' } } });

async function initialize(base: string, headers: Record<string, string>): Promise<{ status: number; body: any }> {
  const r = await request(`${base}/mcp`, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers }, body: INIT });
  return { status: r.statusCode, body: await r.body.json() };
}

test('a loopback endpoint refuses a rebound Host or Origin, and accepts allowedHosts', async () => {
  const alpha = await startStreamableServer({ name: 'alpha' });
  const g = await startGateway(mcpConfig({ servers: alphaAt(alpha.url) }));
  const port = g.port();
  try {
    const rebound = await initialize(g.url(), { host: `evil.example.com:${port}`, origin: `http://evil.example.com:${port}` });
    assert.equal(rebound.status, 403);
    assert.equal(rebound.body.jsonrpc, '2.0');
    assert.equal(rebound.body.error.data.code, 'AE_FORBIDDEN');
    assert.equal((await initialize(g.url(), { host: `evil.example.com:${port}` })).status, 403, 'Host alone is checked');
    assert.equal((await initialize(g.url(), { host: `localhost:${port}`, origin: `http://localhost:${port}` })).status, 200);
    assert.equal((await initialize(g.url(), { host: `[::1]:${port}` })).status, 200);
    assert.equal((await initialize(g.url(), { origin: 'http://localhost:3000' })).status, 200, 'a local page on another port is local');
  } finally {
    await g.close();
  }
  const allowed = await startGateway(mcpConfig({ servers: alphaAt(alpha.url), backend: 'allowedHosts: [mcp.example.com]' }));
  try {
    const port2 = allowed.port();
    assert.equal((await initialize(allowed.url(), { host: `mcp.example.com:${port2}`, origin: 'https://mcp.example.com' })).status, 200);
    assert.equal((await initialize(allowed.url(), { host: `other.example.com:${port2}` })).status, 403);
  } finally {
    await allowed.close();
    await alpha.close();
  }
});

test('namespace: false serves one server under its own names; with two servers it is a config error', async () => {
  const alpha = await startStreamableServer({ name: 'alpha' });
  const g = await startGateway(mcpConfig({ servers: alphaAt(alpha.url), backend: 'namespace: false' }));
  let client: Client | undefined;
  try {
    client = await connectClient(`${g.url()}/mcp`);
    const names = (await client.listTools()).tools.map((t) => t.name);
    assert.ok(names.includes('echo') && !names.some((n) => n.includes('__')), names.join());
    assert.deepEqual((await client.callTool({ name: 'echo', arguments: { text: 'p' } })).content, [{ type: 'text', text: 'alpha:p' }]);
    const r = await client.readResource({ uri: 'doc://alpha/readme' });
    assert.equal(r.contents[0]!.uri, 'doc://alpha/readme');
  } finally {
    await client?.close();
    await g.close();
    await alpha.close();
  }
  const two = mcpConfig({ servers: ['{ name: beta, url: "http://127.0.0.1:9/b" }', alphaAt('http://127.0.0.1:9/mcp')], backend: 'namespace: false' });
  assert.throws(() => loadConfigText(two, '/tmp/x.yaml', {}), (e: unknown) => e instanceof ConfigError && /namespace: false serves one server unprefixed; this backend has 2/.test(e.message));
});
