// Admin GET /mcp/servers: each mcp backend's servers with their state, connections,
// protocol revision and last error, so an operator sees why a server's tools are missing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'undici';
import { startGateway } from '../helpers/gateway.js';
import { connectClient, mcpConfig } from './fixtures/gateway.js';
import { startStreamableServer } from './fixtures/servers.js';

interface ServerView { name: string; state: string; connections: number; protocolVersion: string | null; lastError: string | null; tools: number | null }

/** How many tools the server lists to a client of its own. */
async function listedDirectly(url: string): Promise<number> {
  const c = await connectClient(url);
  try {
    return (await c.listTools()).tools.length;
  } finally {
    await c.close();
  }
}

test('GET /mcp/servers shows idle servers, then ready and failed ones with the failure', async () => {
  const alpha = await startStreamableServer({ name: 'alpha' });
  const g = await startGateway(mcpConfig({
    admin: true,
    servers: [
      `{ name: alpha, url: "${alpha.url}", headers: { X-Api-Key: sekrit-value-123 } }`,
      '{ name: gone, url: "http://127.0.0.1:9/mcp" }',
    ],
  }));
  try {
    const view = async (): Promise<ServerView[]> => {
      const r = await request(`${g.adminUrl()}/mcp/servers`);
      assert.equal(r.statusCode, 200);
      const text = await r.body.text();
      assert.ok(!text.includes('sekrit-value-123'), 'no upstream credential in the admin view');
      return (JSON.parse(text) as { backends: { tools: { servers: ServerView[] } } }).backends.tools.servers;
    };
    assert.deepEqual((await view()).map((s) => [s.name, s.state, s.tools]), [['alpha', 'idle', null], ['gone', 'idle', null]]);

    const client = await connectClient(`${g.url()}/mcp`);
    await client.listTools();
    const [a, gone] = await view();
    assert.equal(a!.state, 'ready');
    assert.equal(a!.connections, 1);
    assert.equal(a!.protocolVersion, '2025-11-25');
    // As many as the server lists to a client of its own.
    assert.equal(a!.tools, await listedDirectly(alpha.url));
    assert.equal(gone!.tools, null);
    assert.equal(gone!.state, 'failed');
    assert.match(gone!.lastError ?? '', /ECONNREFUSED|fetch failed|could not|connect/i);
    await client.close();

    const none = await request(`${g.adminUrl()}/llm/servers`);
    assert.equal(none.statusCode, 404, 'a view no backend serves is not found');
    await none.body.dump();
  } finally {
    await g.close();
    await alpha.close();
  }
});
