// `accessLog: { format: off }` writes no access line; process logs still appear.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'undici';
import { startGateway } from '../helpers/gateway.js';
import { startUpstream } from '../helpers/upstream.js';

test('accessLog off writes no line per request', async (t) => {
  const up = await startUpstream();
  const gw = await startGateway(`gateway:
  admin: { host: 127.0.0.1, port: 0 }
  accessLog: { format: off }
listeners:
  - name: edge
    port: 0
    routes:
      - { name: api, match: { path: /api }, backend: up }
backends:
  up:
    http: { url: "${up.url}" }
`);
  t.after(async () => { await gw.close(); await up.close(); });
  for (const path of ['/api/a', '/api/b', '/nowhere']) {
    const r = await request(`${gw.url()}${path}`);
    await r.body.dump();
  }
  // Closing drains every request, so every access line there could be has been written.
  await gw.gw.close();

  const text = gw.logText();
  assert.match(text, /agentedge started/);
  assert.doesNotMatch(text, /\/api\/a|\/api\/b|\/nowhere/);
  assert.ok(!gw.logs.some((l) => l.access));
});
