// An event stream running across reloads is untouched: a reload that changes its backend's
// settings (a new connection pool) and one that removes its route both leave the stream
// delivering every event to its end.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ServerResponse } from 'node:http';
import { request } from 'undici';
import { startGateway } from '../helpers/gateway.js';
import { startUpstream } from '../helpers/upstream.js';

const yaml = (url: string, routes: string, retries: number) => `gateway:
  admin: { host: 127.0.0.1, port: 0 }
listeners:
  - name: edge
    port: 0
    routes:
${routes}backends:
  events:
    http: { url: "${url}", retries: ${retries} }
`;
const eventsRoute = '      - { name: events, match: { path: /events }, backend: events }\n';
const otherRoute = '      - { name: other, match: { path: /other }, backend: events }\n';

test('an SSE stream keeps flowing across reloads that change and remove its route', async (t) => {
  let arrived!: (res: ServerResponse) => void;
  const held = new Promise<ServerResponse>((r) => { arrived = r; });
  const up = await startUpstream((req, res) => {
    req.resume();
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.write('data: 1\n\n');
    arrived(res);
  });
  const gw = await startGateway(yaml(up.url, eventsRoute, 1));
  t.after(async () => { await gw.close(); await up.close(); });

  const r = await request(`${gw.url()}/events`);
  assert.equal(r.statusCode, 200);
  const upstream = await held;
  const received: string[] = [];
  let waiting: (() => void) | null = null;
  r.body.setEncoding('utf8').on('data', (c: string) => { received.push(c); waiting?.(); });
  const until = (text: string) => new Promise<void>((resolve) => {
    const check = () => { if (received.join('').includes(text)) { waiting = null; resolve(); } };
    waiting = check;
    check();
  });
  await until('data: 1');

  gw.writeConfig(yaml(up.url, eventsRoute, 0)); // new backend spec: a new pool for new requests
  assert.equal((await gw.gw.reload()).ok, true);
  upstream.write('data: 2\n\n');
  await until('data: 2');

  gw.writeConfig(yaml(up.url, otherRoute, 0)); // the stream's route is gone for new requests
  assert.equal((await gw.gw.reload()).ok, true);
  const gone = await request(`${gw.url()}/events`);
  assert.equal(gone.statusCode, 404);
  await gone.body.dump();
  upstream.write('data: 3\n\n');
  upstream.end('data: [DONE]\n\n');
  await new Promise<void>((resolve, reject) => { r.body.once('end', resolve).once('error', reject); });
  assert.equal(received.join(''), 'data: 1\n\ndata: 2\n\ndata: 3\n\ndata: [DONE]\n\n');
});
