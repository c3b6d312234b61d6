// An upstream that breaks HTTP (RELIABILITY 16): a garbage status line, an invalid
// header or contradictory framing before the body is a 502 AE_UPSTREAM_PROTOCOL; broken
// chunk framing after the headers aborts the response.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'undici';
import { startGateway, proxyConfig } from '../helpers/gateway.js';
import { startRawUpstream } from '../helpers/upstream.js';
import { metric } from './support.js';

const BEFORE_BODY = {
  'garbage status line': 'GARBAGE\r\n\r\n',
  'invalid header line': 'HTTP/1.1 200 OK\r\nNot A Header\r\n\r\n',
  'content-length with chunked': 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n',
};

for (const [name, answer] of Object.entries(BEFORE_BODY)) {
  test(`${name} → 502 AE_UPSTREAM_PROTOCOL`, { timeout: 30_000 }, async (t) => {
    const up = await startRawUpstream((socket) => socket.once('data', () => socket.end(answer)));
    const gw = await startGateway(proxyConfig(up.url));
    t.after(async () => { await gw.close(); await up.close(); });

    const res = await request(`${gw.url()}/x`);
    const body = await res.body.json() as { error: { code: string } };
    assert.equal(res.statusCode, 502);
    assert.equal(body.error.code, 'AE_UPSTREAM_PROTOCOL');
    assert.equal(await metric(gw, 'agentedge_upstream_errors_total', { backend: 'up', code: 'AE_UPSTREAM_PROTOCOL' }), 1);
  });
}

test('broken chunk framing after the headers → aborted response', { timeout: 30_000 }, async (t) => {
  const up = await startRawUpstream((socket) => socket.once('data', () => {
    socket.end('HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n{"a":\r\nZZZ\r\nnot a chunk\r\n');
  }));
  const gw = await startGateway(proxyConfig(up.url));
  t.after(async () => { await gw.close(); await up.close(); });

  const res = await request(`${gw.url()}/x`);
  assert.equal(res.statusCode, 200);
  await assert.rejects(res.body.text());
});
