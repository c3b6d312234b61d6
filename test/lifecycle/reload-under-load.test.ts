// Hot reload during load (RELIABILITY 23): concurrent GETs and POSTs run while the config
// is reloaded several times, each reload changing routes and the backend's settings (so
// its connection pool is replaced). Not one request may fail.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'undici';
import { startGateway } from '../helpers/gateway.js';
import { startUpstream } from '../helpers/upstream.js';

const WORKERS = 8;
const RELOADS = 6;
const MAX_REQUESTS_PER_WORKER = 3000;

const yaml = (url: string, i: number) => `gateway:
  admin: { host: 127.0.0.1, port: 0 }
listeners:
  - name: edge
    port: 0
    routes:
      - { name: extra-${i}, match: { path: /extra-${i} }, backend: up }
      - { name: api, match: { path: /api }, backend: up }
backends:
  up:
    http: { url: "${url}", retries: ${i % 2}, connections: ${16 + i} }
`;

test('reloads under concurrent load drop no request', async (t) => {
  const up = await startUpstream();
  const gw = await startGateway(yaml(up.url, 0));
  t.after(async () => { await gw.close(); await up.close(); });

  let reloading = true;
  const failures: string[] = [];
  let total = 0;
  const worker = async (w: number) => {
    for (let n = 0; n < MAX_REQUESTS_PER_WORKER && (reloading || n < 20); n++) {
      const post = n % 2 === 1;
      try {
        const r = await request(`${gw.url()}/api/${w}/${n}`, post ? { method: 'POST', body: JSON.stringify({ w, n }), headers: { 'content-type': 'application/json' } } : {});
        const body = await r.body.text();
        total++;
        if (r.statusCode !== 200) failures.push(`${r.statusCode} ${body}`);
      } catch (err) {
        failures.push(String(err));
      }
    }
  };
  const load = Promise.all(Array.from({ length: WORKERS }, (_, w) => worker(w)));

  for (let i = 1; i <= RELOADS; i++) {
    // Let some requests run on each config before the next reload.
    const seen = total;
    while (total < seen + WORKERS * 5) await new Promise((r) => setImmediate(r));
    gw.writeConfig(yaml(up.url, i));
    const r = await gw.gw.reload();
    assert.deepEqual(r, { ok: true, changed: true }, `reload ${i}`);
  }
  reloading = false;
  await load;

  assert.deepEqual(failures, []);
  assert.ok(total >= WORKERS * 20, `ran ${total} requests`);
});
