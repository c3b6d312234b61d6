// A client whose body stops arriving gets 408 at bodyIdleTimeout; an upstream request
// that had already started is aborted, so the upstream sees it closed (RELIABILITY 2).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startGateway, proxyConfig } from '../helpers/gateway.js';
import { startUpstream, waitFor } from '../helpers/upstream.js';
import { RawClient, errorBody, parseResponse, rejectedCount } from './support.js';

test('body bytes stop → 408 at bodyIdleTimeout; a started upstream request is aborted', async (t) => {
  const started: { url: string; closedEarly: boolean }[] = [];
  const up = await startUpstream((req, res) => {
    const entry = { url: req.url!, closedEarly: false };
    started.push(entry);
    req.resume();
    req.on('end', () => res.end('ok'));
    res.on('close', () => { if (!req.complete) entry.closedEarly = true; });
  });
  const gw = await startGateway(proxyConfig(up.url, { listener: '    limits: { bodyIdleTimeout: 300ms }' }));
  t.after(async () => { await gw.close(); await up.close(); });

  // Chunked: the body streams, so the upstream request starts before the body stalls.
  const streamed = new RawClient(gw.port());
  streamed.write('POST /streamed HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n');
  const r = parseResponse(await streamed.untilClosed());
  assert.equal(r.status, 408);
  assert.equal(r.headers.connection, 'close');
  assert.equal(errorBody(r.body).code, 'AE_REQUEST_TIMEOUT');
  await waitFor(() => started[0]?.closedEarly === true, 5000, 'upstream to see its request closed');

  // A small declared body is read before dispatch: the upstream is never contacted.
  const buffered = new RawClient(gw.port());
  buffered.write('POST /buffered HTTP/1.1\r\nHost: a\r\nContent-Length: 100\r\n\r\nonly ten b');
  const b = parseResponse(await buffered.untilClosed());
  assert.equal(b.status, 408);
  assert.equal(errorBody(b.body).code, 'AE_REQUEST_TIMEOUT');
  assert.deepEqual(started.map((s) => s.url), ['/streamed']);
  assert.equal(await rejectedCount(gw, 'body_timeout'), 2);
});
