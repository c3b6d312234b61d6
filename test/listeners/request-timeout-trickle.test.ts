// A body that keeps trickling in (so the body idle timeout never fires) is still cut at
// requestTimeout, the bound on receiving the whole request: 408 JSON with
// connection: close, counted once, and the upstream request that had started is aborted.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startGateway, proxyConfig } from '../helpers/gateway.js';
import { startUpstream, waitFor } from '../helpers/upstream.js';
import { RawClient, errorBody, parseResponse, rejectedCount } from './support.js';

test('a body trickling past requestTimeout → 408; upstream request aborted', async (t) => {
  const started: { closedEarly: boolean }[] = [];
  const up = await startUpstream((req, res) => {
    const entry = { closedEarly: false };
    started.push(entry);
    req.resume();
    req.on('end', () => res.end('ok'));
    res.on('close', () => { if (!req.complete) entry.closedEarly = true; });
  });
  const gw = await startGateway(proxyConfig(up.url, { listener: '    limits: { headersTimeout: 200ms, requestTimeout: 500ms, bodyIdleTimeout: 30s }' }));
  t.after(async () => { await gw.close(); await up.close(); });

  const client = new RawClient(gw.port());
  client.write('POST /upload HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n');
  // 200 chunks 20 ms apart would take 4 s; the loop ends early when the gateway answers.
  for (let i = 0; i < 200 && !client.text.includes('\r\n\r\n') && !client.closed; i++) {
    client.write('1\r\nx\r\n');
    await new Promise((r) => setTimeout(r, 20));
  }
  const r = parseResponse(await client.untilClosed());
  assert.equal(r.status, 408);
  assert.equal(r.headers.connection, 'close');
  assert.equal(errorBody(r.body).code, 'AE_REQUEST_TIMEOUT');
  await waitFor(() => started[0]?.closedEarly === true, 5000, 'upstream to see its request closed');
  assert.equal(await rejectedCount(gw, 'timeout'), 1);
  assert.equal(await rejectedCount(gw, 'body_timeout'), 0);
});
