// A reload that adds or removes servers: connected clients are told their lists changed
// (notifications/tools/list_changed on their standalone stream) and keep their sessions;
// servers whose config did not change keep their connections (the same stdio process, the
// same upstream session); a removed server's tools are gone.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { ToolListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { startGateway } from '../helpers/gateway.js';
import { connectClient, mcpConfig } from './fixtures/gateway.js';
import { startStreamableServer } from './fixtures/servers.js';

const STDIO = fileURLToPath(new URL('./fixtures/stdio-server.mjs', import.meta.url));

async function until(cond: () => boolean, what: string, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

test('servers added and removed by a reload: list_changed to connected clients, unchanged servers keep their connections', async () => {
  const alpha = await startStreamableServer({ name: 'alpha' });
  const beta = await startStreamableServer({ name: 'beta' });
  const local = `{ name: local, command: "${process.execPath}", args: ["${STDIO}"] }`;
  const g = await startGateway(mcpConfig({ servers: [local, `{ name: alpha, url: "${alpha.url}" }`] }));
  let streamOpen = false;
  const watchFetch: typeof fetch = async (input, init) => {
    const res = await fetch(input, init);
    if ((init?.method ?? 'GET') === 'GET' && res.ok) streamOpen = true;
    return res;
  };
  const client = await connectClient(`${g.url()}/mcp`, { fetch: watchFetch });
  try {
    let changed = 0;
    client.setNotificationHandler(ToolListChangedNotificationSchema, () => { changed++; });
    await until(() => streamOpen, 'the client\'s standalone stream');
    const pid = (await client.callTool({ name: 'local__pid', arguments: {} })).content as { text: string }[];
    assert.ok((await client.listTools()).tools.some((t) => t.name === 'alpha__echo'));
    const alphaSessions = alpha.sessions();

    // alpha removed, beta added, local unchanged.
    g.writeConfig(mcpConfig({ servers: [local, `{ name: beta, url: "${beta.url}" }`] }));
    assert.equal((await g.gw.reload()).ok, true);
    await until(() => changed > 0, 'notifications/tools/list_changed');

    // The same client session goes on: no re-initialize.
    const names = (await client.listTools()).tools.map((t) => t.name);
    assert.ok(names.includes('beta__echo'), names.join());
    assert.ok(!names.some((n) => n.startsWith('alpha__')), 'the removed server is gone');
    const again = (await client.callTool({ name: 'local__pid', arguments: {} })).content as { text: string }[];
    assert.equal(again[0]!.text, pid[0]!.text, 'the unchanged stdio server kept its process');
    await assert.rejects(client.callTool({ name: 'alpha__echo', arguments: { text: 'x' } }), /no server of this route is called "alpha"/);
    await until(() => alpha.sessions() < alphaSessions, 'the removed server\'s upstream session to end');
  } finally {
    await client.close();
    await g.close();
    await alpha.close();
    await beta.close();
  }
});
