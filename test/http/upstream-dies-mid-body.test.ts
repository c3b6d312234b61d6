// An upstream that dies in the middle of a non-SSE body (RELIABILITY 12): the client
// sees an aborted response, never a clean end that looks complete.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'undici';
import { startGateway, proxyConfig } from '../helpers/gateway.js';
import { startUpstream } from '../helpers/upstream.js';

for (const framing of ['content-length', 'chunked'] as const) {
  test(`upstream dies mid-body (${framing}) → the client sees an aborted response`, { timeout: 30_000 }, async (t) => {
    const up = await startUpstream((req, res) => {
      res.writeHead(200, framing === 'content-length' ? { 'content-type': 'application/json', 'content-length': '10000' } : { 'content-type': 'application/json' });
      res.write('{"partial": "', () => req.socket.destroy());
    });
    const gw = await startGateway(proxyConfig(up.url));
    t.after(async () => { await gw.close(); await up.close(); });

    const res = await request(`${gw.url()}/body`);
    assert.equal(res.statusCode, 200);
    await assert.rejects(res.body.text(), 'the body must not end cleanly');
  });
}
