// Where a request lands upstream: the backend URL's path is prefixed, `stripPrefix`
// removes the matched route prefix, and `preserveHost` sends the client's Host.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'undici';
import { startGateway } from '../helpers/gateway.js';
import { startUpstream } from '../helpers/upstream.js';

test('base path, stripPrefix and preserveHost', { timeout: 30_000 }, async (t) => {
  const up = await startUpstream();
  const gw = await startGateway(`
gateway:
  admin: off
listeners:
  - name: edge
    port: 0
    routes:
      - { name: stripped, match: { path: /api }, stripPrefix: true, backend: based }
      - { name: kept, match: { path: /keep }, backend: based }
      - { name: host, match: { path: /host }, backend: hosted }
backends:
  based:
    http: { url: ${up.url}/base/ }
  hosted:
    http: { url: ${up.url}, preserveHost: true }
`);
  t.after(async () => { await gw.close(); await up.close(); });

  const get = async (path: string, headers: Record<string, string> = {}) => {
    const res = await request(`${gw.url()}${path}`, { headers });
    assert.equal(res.statusCode, 200);
    return await res.body.json() as { url: string; headers: Record<string, string> };
  };

  assert.equal((await get('/api/v1/items?x=1')).url, '/base/v1/items?x=1');
  assert.equal((await get('/api')).url, '/base/');
  assert.equal((await get('/keep/a')).url, '/base/keep/a');
  const kept = await get('/keep/a', { host: 'client.example:9' });
  assert.equal(kept.headers.host, `127.0.0.1:${up.port}`, 'without preserveHost the upstream gets its own host');
  const hosted = await get('/host/z', { host: 'client.example:9' });
  assert.equal(hosted.url, '/host/z');
  assert.equal(hosted.headers.host, 'client.example:9');
});
