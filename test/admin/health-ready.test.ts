// /healthz answers 200 while the process runs; /readyz answers 200 once the gateway has
// started and 503 from the moment it drains (so a load balancer stops sending traffic).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ServerResponse } from 'node:http';
import { request } from 'undici';
import { startGateway, proxyConfig } from '../helpers/gateway.js';
import { startUpstream } from '../helpers/upstream.js';

async function get(url: string): Promise<{ status: number; body: any }> {
  const r = await request(url);
  return { status: r.statusCode, body: await r.body.json() };
}

test('/healthz is 200; /readyz is 200 when started and 503 while draining', async (t) => {
  let arrived!: (res: ServerResponse) => void;
  const held = new Promise<ServerResponse>((r) => { arrived = r; });
  const up = await startUpstream((req, res) => { req.resume(); arrived(res); });
  const gw = await startGateway(proxyConfig(up.url));
  t.after(async () => { await up.close(); });

  assert.deepEqual(await get(`${gw.adminUrl()}/healthz`), { status: 200, body: { status: 'ok' } });
  assert.deepEqual(await get(`${gw.adminUrl()}/readyz`), { status: 200, body: { status: 'ready' } });

  // A request in flight keeps the drain going while we look at readiness.
  const inFlight = request(`${gw.url()}/slow`);
  const res = await held;
  const closing = gw.close(30_000);

  assert.deepEqual(await get(`${gw.adminUrl()}/readyz`), { status: 503, body: { status: 'draining' } });
  assert.deepEqual(await get(`${gw.adminUrl()}/healthz`), { status: 200, body: { status: 'ok' } });

  res.end('done');
  const done = await inFlight;
  assert.equal(done.statusCode, 200);
  await done.body.dump();
  await closing;
});
