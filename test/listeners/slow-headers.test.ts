// Slowloris: a client that sends its headers a byte at a time, slower than headersTimeout,
// gets 408 (or a close) at the header timeout, while other clients are served meanwhile,
// and the upstream never hears of it (RELIABILITY 1).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'undici';
import { startGateway, proxyConfig } from '../helpers/gateway.js';
import { startUpstream } from '../helpers/upstream.js';
import { RawClient, errorBody, parseResponse, rejectedCount } from './support.js';

test('headers trickling in slower than headersTimeout → 408 and close; others are unaffected', async (t) => {
  const up = await startUpstream();
  const gw = await startGateway(proxyConfig(up.url, { listener: '    limits: { headersTimeout: 300ms }' }));
  t.after(async () => { await gw.close(); await up.close(); });

  const slow = new RawClient(gw.port());
  const head = `GET /slow HTTP/1.1\r\nHost: a\r\nX-Pad: ${'p'.repeat(400)}\r\n\r\n`;
  let sent = 0;
  // One byte per tick of 20 ms: the full head would take 8 s, far past the timeout. The
  // loop is bounded by the head's length; the assertion below fails if it ever completes.
  const drip = (async () => {
    while (sent < head.length - 4 && !slow.closed) {
      slow.write(head[sent++]!);
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  // Meanwhile, an ordinary client on its own connection is served.
  const ok = await request(`${gw.url()}/fast`);
  assert.equal(ok.statusCode, 200);
  await ok.body.text();
  const text = await slow.untilClosed();
  await drip;
  assert.ok(sent < head.length - 4, 'the server gave up before the head was complete');
  if (text !== '') {
    const r = parseResponse(text);
    assert.equal(r.status, 408);
    assert.equal(r.headers.connection, 'close');
    assert.equal(errorBody(r.body).code, 'AE_REQUEST_TIMEOUT');
  }
  assert.deepEqual(up.received.map((r) => r.url), ['/fast']);
  assert.equal(up.connections(), 1);
  assert.equal(await rejectedCount(gw, 'timeout'), 1);
});
