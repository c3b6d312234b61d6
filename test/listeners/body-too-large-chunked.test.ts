// A chunked body has no declared size, so it is counted as it streams: 413 as soon as the
// count passes the limit, while the client is still sending, and the upstream request
// that had already started is aborted (RELIABILITY 4).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { startGateway, proxyConfig } from '../helpers/gateway.js';
import { startUpstream, waitFor } from '../helpers/upstream.js';
import { RawClient, errorBody, parseResponse, rejectedCount } from './support.js';

const chunk = (s: string) => `${s.length.toString(16)}\r\n${s}\r\n`;

test('chunked body over the limit → 413 mid-body; the started upstream request is aborted', async (t) => {
  const seen: { req: IncomingMessage; bytes: number; aborted: boolean }[] = [];
  const up = await startUpstream((req, res) => {
    const entry = { req, bytes: 0, aborted: false };
    seen.push(entry);
    req.on('data', (c: Buffer) => { entry.bytes += c.length; });
    req.on('end', () => res.end('ok'));
    res.on('close', () => { if (!req.complete) entry.aborted = true; });
  });
  const gw = await startGateway(proxyConfig(up.url, { listener: '    limits: { maxBodyBytes: 1kb }' }));
  t.after(async () => { await gw.close(); await up.close(); });

  // Within the limit, chunked passes.
  const small = new RawClient(gw.port());
  small.write(`POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n${chunk('a'.repeat(600))}${chunk('b'.repeat(424))}0\r\n\r\n`);
  assert.equal(parseResponse(await small.untilClosed()).status, 200);
  assert.equal(seen[0]!.bytes, 1024);

  // Over it: the body is never finished, so only the count can trigger the answer.
  const big = new RawClient(gw.port());
  big.write(`POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n${chunk('a'.repeat(600))}`);
  await waitFor(() => seen.length === 2, 5000, 'upstream request to start');
  big.write(chunk('b'.repeat(600)));
  await waitFor(() => big.text.includes('\r\n\r\n'), 5000, 'the 413');
  const r = parseResponse(big.text);
  assert.equal(r.status, 413);
  assert.equal(errorBody(r.body).code, 'AE_BODY_TOO_LARGE');
  assert.equal(r.headers.connection, 'close');
  await big.untilClosed();
  await waitFor(() => seen[1]!.aborted, 5000, 'upstream to see its request aborted');
  assert.ok(seen[1]!.bytes <= 1024, 'no byte past the limit went upstream');
  assert.equal(await rejectedCount(gw, 'body_too_large'), 1);
});
