// Request headers larger than maxHeaderBytes: llhttp stops at the limit (HPE_HEADER_OVERFLOW)
// and the listener answers 431 JSON and closes; nothing is forwarded (RELIABILITY 5).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startGateway, proxyConfig } from '../helpers/gateway.js';
import { rawRequest, startUpstream } from '../helpers/upstream.js';
import { errorBody, parseResponse, rejectedCount } from './support.js';

test('headers over maxHeaderBytes → 431 JSON, connection closed, upstream never contacted', async (t) => {
  const up = await startUpstream();
  const gw = await startGateway(proxyConfig(up.url, { listener: '    limits: { maxHeaderBytes: 2048 }' }));
  t.after(async () => { await gw.close(); await up.close(); });

  const fits = await rawRequest(gw.port(), `GET / HTTP/1.1\r\nHost: a\r\nX-Pad: ${'a'.repeat(1500)}\r\nConnection: close\r\n\r\n`);
  assert.equal(parseResponse(fits.text).status, 200);

  for (const headers of [`X-Big: ${'a'.repeat(4096)}\r\n`, Array.from({ length: 40 }, (_, i) => `X-H${i}: ${'b'.repeat(80)}\r\n`).join('')]) {
    const { text, closed } = await rawRequest(gw.port(), `GET / HTTP/1.1\r\nHost: a\r\n${headers}\r\n`);
    const r = parseResponse(text);
    assert.equal(r.status, 431);
    assert.equal(r.headers['content-type'], 'application/json');
    assert.equal(r.headers.connection, 'close');
    assert.equal(errorBody(r.body).code, 'AE_HEADERS_TOO_LARGE');
    assert.ok(closed, 'the connection is closed');
  }
  assert.equal(up.received.length, 1, 'only the request that fit was forwarded');
  assert.equal(await rejectedCount(gw, 'header_bytes'), 2);
});
