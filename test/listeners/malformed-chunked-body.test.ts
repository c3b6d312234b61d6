// A request whose head is fine but whose chunked body breaks the framing (bare LF after a
// chunk size, a bad size, an oversized size) has already entered the pipeline when llhttp
// fails: it still gets a 400 JSON with connection: close, and an upstream request that
// had started is aborted, never completed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startGateway, proxyConfig } from '../helpers/gateway.js';
import { rawRequest, startUpstream, waitFor } from '../helpers/upstream.js';
import { errorBody, parseResponse, rejectedCount } from './support.js';

const head = 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n';
const bodies: Record<string, string> = {
  'bare LF after the chunk size': '5\nhello\r\n0\r\n\r\n',
  'bare LF after the chunk data': '5\r\nhello\n0\r\n\r\n',
  'a chunk size that is not hex': 'zz\r\nhello\r\n0\r\n\r\n',
  'a chunk size that overflows': 'ffffffffffffffffff\r\nhello\r\n0\r\n\r\n',
};

test('malformed chunked body → 400, connection closed, upstream request never completed', async (t) => {
  const started: { complete: boolean; closed: boolean }[] = [];
  const up = await startUpstream((req, res) => {
    const entry = { complete: false, closed: false };
    started.push(entry);
    req.resume();
    req.on('end', () => { entry.complete = true; res.end('ok'); });
    res.on('close', () => { entry.closed = true; });
  });
  const gw = await startGateway(proxyConfig(up.url));
  t.after(async () => { await gw.close(); await up.close(); });

  for (const [name, body] of Object.entries(bodies)) {
    const { text, closed } = await rawRequest(gw.port(), head + body);
    assert.ok(closed, name);
    const r = parseResponse(text);
    assert.equal(r.status, 400, name);
    assert.equal(r.headers.connection, 'close', name);
    assert.equal(errorBody(r.body).code, 'AE_BAD_REQUEST', name);
  }
  await waitFor(() => started.every((s) => s.closed), 5000, 'started upstream requests to close');
  assert.ok(started.every((s) => !s.complete), 'no upstream request received a complete body');
  assert.equal(await rejectedCount(gw, 'parse_error'), Object.keys(bodies).length);
});
