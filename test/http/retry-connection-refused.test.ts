// A request that provably never reached the upstream (connection refused) is retried
// when `retries >= 1`: a GET and a small buffered POST both succeed on the second
// attempt, and each retry is counted in agentedge_upstream_retries_total (RELIABILITY 19).
// The upstream starts listening the moment the first attempt is refused (undici's
// connectError diagnostics channel), so there is no timing involved.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import diagnostics from 'node:diagnostics_channel';
import http from 'node:http';
import { request } from 'undici';
import { startGateway, proxyConfig } from '../helpers/gateway.js';
import { closedPort, metric } from './support.js';

/** A server that starts listening on `port` when the gateway's first connect fails. */
function listenOnFirstRefusal(port: number, handler: http.RequestListener): { server: http.Server; refusals: () => number; stop(): void } {
  const server = http.createServer(handler);
  let refusals = 0;
  const onConnectError = (msg: unknown) => {
    const { connectParams, error } = msg as { connectParams: { port: string | number }; error: NodeJS.ErrnoException };
    if (Number(connectParams.port) !== port || error.code !== 'ECONNREFUSED') return;
    refusals++;
    if (!server.listening) server.listen(port, '127.0.0.1'); // binds synchronously
  };
  diagnostics.subscribe('undici:client:connectError', onConnectError);
  return { server, refusals: () => refusals, stop: () => diagnostics.unsubscribe('undici:client:connectError', onConnectError) };
}

for (const method of ['GET', 'POST'] as const) {
  test(`${method}: connection refused once → retried → 200`, { timeout: 30_000 }, async (t) => {
    const port = await closedPort();
    const seen: string[] = [];
    const up = listenOnFirstRefusal(port, (req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => { body += c.toString(); });
      req.on('end', () => { seen.push(`${req.method} ${body}`); res.end('ok'); });
    });
    const gw = await startGateway(proxyConfig(`http://127.0.0.1:${port}`, { backend: '      retries: 1' }));
    t.after(async () => {
      up.stop();
      await gw.close();
      await new Promise<void>((r) => { up.server.close(() => r()); up.server.closeAllConnections(); });
    });

    const res = await request(`${gw.url()}/r`, method === 'POST' ? { method, body: '{"small":true}', headers: { 'content-type': 'application/json' } } : {});
    assert.equal(await res.body.text(), 'ok');
    assert.equal(res.statusCode, 200);
    assert.equal(up.refusals(), 1);
    assert.deepEqual(seen, [method === 'POST' ? 'POST {"small":true}' : 'GET ']);
    assert.equal(await metric(gw, 'agentedge_upstream_retries_total', { backend: 'up' }), 1);
    assert.equal(await metric(gw, 'agentedge_upstream_errors_total', { backend: 'up' }), 0);
  });
}

test('retries: 0 → the refusal is the answer (502), nothing retried', { timeout: 30_000 }, async (t) => {
  const gw = await startGateway(proxyConfig(`http://127.0.0.1:${await closedPort()}`, { backend: '      retries: 0' }));
  t.after(() => gw.close());
  const res = await request(`${gw.url()}/r`);
  await res.body.text();
  assert.equal(res.statusCode, 502);
  assert.equal(await metric(gw, 'agentedge_upstream_retries_total', { backend: 'up' }), 0);
});
