// More header fields than maxHeaderCount: Node only bounds bytes, so the accept phase
// counts fields and answers 431 JSON with connection: close; nothing is forwarded.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startGateway, proxyConfig } from '../helpers/gateway.js';
import { rawRequest, startUpstream } from '../helpers/upstream.js';
import { errorBody, parseResponse, rejectedCount } from './support.js';

const withHeaders = (n: number) =>
  `GET / HTTP/1.1\r\nHost: a\r\n${Array.from({ length: n - 1 }, (_, i) => `X-H${i}: v\r\n`).join('')}\r\n`;

test('more header fields than maxHeaderCount → 431 JSON, connection closed, upstream never contacted', async (t) => {
  const up = await startUpstream();
  const gw = await startGateway(proxyConfig(up.url, { listener: '    limits: { maxHeaderCount: 10 }' }));
  t.after(async () => { await gw.close(); await up.close(); });

  const atLimit = await rawRequest(gw.port(), withHeaders(10).replace('Host: a\r\n', 'Host: a\r\nConnection: close\r\n').replace('X-H0: v\r\n', ''));
  assert.equal(parseResponse(atLimit.text).status, 200);
  assert.equal(up.connections(), 1);

  for (const n of [11, 500]) {
    const { text, closed } = await rawRequest(gw.port(), withHeaders(n));
    const r = parseResponse(text);
    assert.equal(r.status, 431, `${n} headers`);
    assert.equal(r.headers.connection, 'close');
    assert.equal(r.headers['content-type'], 'application/json');
    assert.equal(errorBody(r.body).code, 'AE_HEADERS_TOO_LARGE');
    assert.ok(closed);
  }
  assert.equal(up.received.length, 1);
  assert.equal(await rejectedCount(gw, 'header_count'), 2);
});
