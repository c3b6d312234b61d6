// An upstream that drops the connection after reading the request, before any response
// byte, is a 502 (RELIABILITY 13) and is not retried (it may have acted on the request).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'undici';
import { startGateway, proxyConfig } from '../helpers/gateway.js';
import { startRawUpstream } from '../helpers/upstream.js';

for (const how of ['reset', 'close'] as const) {
  test(`upstream ${how} before headers → 502 without upstream details, not retried`, { timeout: 30_000 }, async (t) => {
    let requests = 0;
    const up = await startRawUpstream((socket) => {
      socket.once('data', () => {
        requests++;
        if (how === 'reset') socket.resetAndDestroy();
        else socket.end();
      });
    });
    const gw = await startGateway(proxyConfig(up.url, { backend: '      retries: 3' }));
    t.after(async () => { await gw.close(); await up.close(); });

    const res = await request(`${gw.url()}/x`, { method: 'POST', body: '{"a":1}', headers: { 'content-type': 'application/json' } });
    const text = await res.body.text();
    assert.equal(res.statusCode, 502);
    assert.match(JSON.parse(text).error.code, /^AE_UPSTREAM_/);
    assert.ok(!text.includes(String(up.port)) && !text.includes('127.0.0.1'), text);
    assert.equal(requests, 1);
  });
}
