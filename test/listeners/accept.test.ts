// acceptRequest: the request-head checks that llhttp does not make, as pure logic.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { acceptRequest } from '../../src/core/accept.js';

function head(rawHeaders: string[], version = '1.1'): IncomingMessage {
  const headers: Record<string, string> = {};
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const k = rawHeaders[i]!.toLowerCase();
    headers[k] = headers[k] === undefined ? rawHeaders[i + 1]! : `${headers[k]}, ${rawHeaders[i + 1]!}`;
  }
  const [major, minor] = version.split('.').map(Number);
  return { rawHeaders, headers, httpVersionMajor: major, httpVersionMinor: minor } as unknown as IncomingMessage;
}

test('an ordinary request head is accepted', () => {
  assert.equal(acceptRequest(head(['Host', 'a', 'Content-Length', '3']), 100), null);
  assert.equal(acceptRequest(head(['Host', 'a', 'Transfer-Encoding', 'chunked']), 100), null);
  assert.equal(acceptRequest(head(['host', 'a', 'transfer-encoding', 'CHUNKED']), 100), null);
  assert.equal(acceptRequest(head([], '1.0'), 100), null);
});

test('more header fields than the limit → 431', () => {
  const raw = Array.from({ length: 11 }, (_, i) => [`x-h${i}`, 'v']).flat();
  assert.equal(acceptRequest(head(raw), 11), null);
  assert.deepEqual(acceptRequest(head(raw), 10), { code: 'AE_HEADERS_TOO_LARGE', reason: 'header_count' });
});

test('transfer codings other than plain chunked, and chunked on HTTP/1.0 → 400', () => {
  for (const te of ['identity, chunked', 'gzip, chunked', ',chunked', 'chunked, chunked', 'xchunked']) {
    assert.equal(acceptRequest(head(['Host', 'a', 'Transfer-Encoding', te]), 100)?.code, 'AE_BAD_REQUEST', te);
  }
  assert.equal(acceptRequest(head(['Host', 'a', 'Transfer-Encoding', 'chunked'], '1.0'), 100)?.reason, 'framing');
});

test('HTTP versions other than 1.x and a second Host → 400', () => {
  assert.equal(acceptRequest(head([], '0.9'), 100)?.reason, 'framing');
  assert.equal(acceptRequest(head(['Host', 'a'], '2.0'), 100)?.reason, 'framing');
  assert.deepEqual(acceptRequest(head(['Host', 'a', 'HOST', 'b']), 100), { code: 'AE_BAD_REQUEST', reason: 'duplicate_host' });
});
