// Request smuggling over raw sockets (RELIABILITY 6): every ambiguous framing is answered
// 400 with connection: close, and not one byte reaches the upstream.
// Node's llhttp refuses most of these itself (the listener only renders its error): CL+TE,
// two lengths, `chunked` not last or repeated, obs-fold, whitespace before the colon,
// bare LF, bare CR, NUL. It lets through transfer codings before `chunked`
// (`identity, chunked`), emits the request before failing on an unknown coding
// (`xchunked`), and accepts chunked on HTTP/1.0, HTTP/0.9 and a second Host; the
// accept phase refuses those (src/core/accept.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startGateway, proxyConfig } from '../helpers/gateway.js';
import { rawRequest, startUpstream } from '../helpers/upstream.js';
import { errorBody, parseResponse, rejectedCount } from './support.js';

const body = '5\r\nhello\r\n0\r\n\r\n';
const cases: Record<string, string> = {
  'Content-Length with Transfer-Encoding': `POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n${body}`,
  'Transfer-Encoding with Content-Length': `POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n${body}`,
  'two different Content-Lengths': 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!',
  'a Content-Length list': 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5, 6\r\n\r\nhello!',
  'Transfer-Encoding: chunked, identity': `POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, identity\r\n\r\n${body}`,
  'Transfer-Encoding: identity, chunked': `POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: identity, chunked\r\n\r\n${body}`,
  'Transfer-Encoding: gzip, chunked': `POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n${body}`,
  'Transfer-Encoding split over two fields': `POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: identity\r\nTransfer-Encoding: chunked\r\n\r\n${body}`,
  'Transfer-Encoding: xchunked': `POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: xchunked\r\n\r\n${body}`,
  'Transfer-Encoding: chunked;ext': `POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked;x=1\r\n\r\n${body}`,
  'line starting with a space: " Transfer-Encoding: chunked"': `POST / HTTP/1.1\r\nHost: a\r\n Transfer-Encoding: chunked\r\n\r\n${body}`,
  'whitespace before the colon': `POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding : chunked\r\n\r\n${body}`,
  'Transfer-Encoding value folded onto the next line': `POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding:\r\n chunked\r\n\r\n${body}`,
  'Transfer-Encoding: chunked then an obs-fold line': `POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nX-A: b\r\n c\r\n\r\n${body}`,
  'vertical tab before chunked': `POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: \x0bchunked\r\n\r\n${body}`,
  'chunked on HTTP/1.0': `POST / HTTP/1.0\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n${body}`,
  'bare LF line endings': 'POST / HTTP/1.1\nHost: a\nContent-Length: 5\n\nhello',
  'bare LF inside the headers': 'POST / HTTP/1.1\r\nHost: a\nContent-Length: 5\r\n\r\nhello',
  'CR injected in a header value': 'GET / HTTP/1.1\r\nHost: a\r\nX-A: b\rX-Injected: 1\r\n\r\n',
  'LF injected in a header value': 'GET / HTTP/1.1\r\nHost: a\r\nX-A: b\nX-Injected: 1\r\n\r\n',
  'NUL in a header value': 'GET / HTTP/1.1\r\nHost: a\r\nX-A: b\0c\r\n\r\n',
  'two Host headers': 'GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n',
  'HTTP/0.9 request line': 'GET /\r\n\r\n',
  'HTTP/2.0 in an HTTP/1 request line': 'GET / HTTP/2.0\r\nHost: a\r\n\r\n',
};

test('ambiguous framing → 400 JSON, connection closed, nothing upstream', async (t) => {
  const up = await startUpstream();
  const gw = await startGateway(proxyConfig(up.url));
  t.after(async () => { await gw.close(); await up.close(); });

  for (const [name, bytes] of Object.entries(cases)) {
    const { text, closed } = await rawRequest(gw.port(), bytes);
    assert.ok(closed, `${name}: connection closed`);
    assert.ok(text.includes('\r\n\r\n'), `${name}: got ${JSON.stringify(text)}`);
    const r = parseResponse(text);
    assert.equal(r.status, 400, `${name}: ${text}`);
    assert.equal(r.headers.connection, 'close', name);
    assert.equal(r.headers['content-type'], 'application/json', name);
    assert.equal(errorBody(r.body).code, 'AE_BAD_REQUEST', name);
  }
  assert.equal(up.connections(), 0, 'no byte reached the upstream');
  const total = (await rejectedCount(gw, 'parse_error')) + (await rejectedCount(gw, 'framing')) + (await rejectedCount(gw, 'duplicate_host'));
  assert.equal(total, Object.keys(cases).length, 'each refusal is counted once');
});

test('legal whitespace around "chunked" is accepted and the body is re-framed upstream', async (t) => {
  const up = await startUpstream();
  const gw = await startGateway(proxyConfig(up.url));
  t.after(async () => { await gw.close(); await up.close(); });

  for (const te of ['chunked', 'CHUNKED', '  chunked', '\tchunked ', 'Chunked']) {
    const { text } = await rawRequest(gw.port(), `POST / HTTP/1.1\r\nHost: a\r\nConnection: close\r\nTransfer-Encoding:${te}\r\n\r\n${body}`);
    assert.equal(parseResponse(text).status, 200, JSON.stringify(te));
    assert.equal(up.received.at(-1)!.body.toString(), 'hello');
  }
});
