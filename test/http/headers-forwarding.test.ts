// Forwarding headers are the gateway's (RELIABILITY 25): client-sent x-forwarded-for,
// x-forwarded-host, x-forwarded-proto, forwarded and x-real-ip are replaced or dropped,
// and listing the gateway's own headers in Connection does not remove them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startGateway, proxyConfig } from '../helpers/gateway.js';
import { rawRequest, startUpstream } from '../helpers/upstream.js';

test('client forwarding headers are replaced; Connection cannot strip gateway headers', { timeout: 30_000 }, async (t) => {
  const up = await startUpstream();
  const gw = await startGateway(proxyConfig(up.url));
  t.after(async () => { await gw.close(); await up.close(); });

  await rawRequest(gw.port(), [
    'GET /f HTTP/1.1', 'Host: public.example:8443',
    'Connection: close, x-forwarded-for, x-forwarded-host, x-forwarded-proto, x-request-id, host',
    'X-Forwarded-For: 6.6.6.6', 'X-Forwarded-Host: evil.test', 'X-Forwarded-Proto: https', 'X-Forwarded-Port: 1',
    'Forwarded: for=6.6.6.6;host=evil.test', 'X-Real-IP: 6.6.6.6', 'X-Request-Id: fwd-1', '', '',
  ].join('\r\n'));
  const h = up.received.at(-1)!.headers;
  assert.equal(h['x-forwarded-for'], '127.0.0.1');
  assert.equal(h['x-forwarded-host'], 'public.example:8443');
  assert.equal(h['x-forwarded-proto'], 'http');
  assert.equal(h['x-forwarded-port'], undefined);
  assert.equal(h.forwarded, undefined);
  assert.equal(h['x-real-ip'], undefined);
  assert.equal(h['x-request-id'], 'fwd-1');
  assert.equal(h.host, `127.0.0.1:${up.port}`);
});
