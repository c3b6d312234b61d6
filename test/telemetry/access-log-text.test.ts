// `accessLog: { format: text }` writes one plain line per request, for people: not JSON,
// with method, path, status, duration, route, backend, bytes and the request id.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'undici';
import { startGateway } from '../helpers/gateway.js';
import { startUpstream, waitFor } from '../helpers/upstream.js';

test('text access log lines are single human-readable lines', async (t) => {
  const up = await startUpstream();
  const gw = await startGateway(`gateway:
  admin: { host: 127.0.0.1, port: 0 }
  accessLog: { format: text }
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
  const accessLines = () => gw.logText().split('\n').filter((l) => / GET \/api\//.test(l));

  const r = await request(`${gw.url()}/api/thing`);
  const body = await r.body.text();
  const id = String(r.headers['x-request-id']);
  await waitFor(() => accessLines().length === 1, 5000, 'the access line');

  const line = accessLines()[0]!;
  assert.throws(() => JSON.parse(line), 'not JSON');
  assert.match(line, /^\d{4}-\d\d-\d\dT\S+Z GET \/api\/thing 200 [\d.]+ms route=api backend=up in=0 out=(\d+) /);
  assert.equal(Number(/ out=(\d+) /.exec(line)![1]), Buffer.byteLength(body));
  assert.ok(line.endsWith(`id=${id}`));
  // Process logs stay JSON.
  assert.ok(gw.logs.some((l) => l.msg === 'agentedge started'));
});
