// A declared Content-Length over the route limit is refused from the headers alone: 413
// before a body byte is read, and no connection to the upstream (RELIABILITY 4).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startGateway, proxyConfig } from '../helpers/gateway.js';
import { startUpstream } from '../helpers/upstream.js';
import { RawClient, errorBody, parseResponse, rejectedCount } from './support.js';

test('Content-Length over the limit → 413 without reading the body; upstream never contacted', async (t) => {
  const up = await startUpstream();
  const gw = await startGateway(proxyConfig(up.url, { listener: '    limits: { maxBodyBytes: 1kb }' }));
  t.after(async () => { await gw.close(); await up.close(); });

  // Only the head is sent: the answer cannot depend on the body.
  const client = new RawClient(gw.port());
  client.write('POST /upload HTTP/1.1\r\nHost: a\r\nContent-Type: application/octet-stream\r\nContent-Length: 1025\r\n\r\n');
  const r = parseResponse(await client.untilClosed());
  assert.equal(r.status, 413);
  assert.equal(r.headers.connection, 'close');
  assert.equal(errorBody(r.body).code, 'AE_BODY_TOO_LARGE');
  assert.equal(up.connections(), 0);
  assert.equal(await rejectedCount(gw, 'body_too_large'), 1);
});
