// Hop-by-hop headers (connection, keep-alive, te, trailer, transfer-encoding, upgrade,
// proxy-*) and headers named in a peer's Connection are not forwarded, in either
// direction (RELIABILITY 25). Checked on the raw bytes each side receives.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type net from 'node:net';
import { startGateway, proxyConfig } from '../helpers/gateway.js';
import { rawRequest, startRawUpstream, startUpstream } from '../helpers/upstream.js';

/** Header names → values from the head of a raw HTTP message. */
function headLines(text: string): [string, string][] {
  const head = text.slice(0, text.indexOf('\r\n\r\n'));
  return head.split('\r\n').slice(1).map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]);
}

test('request: hop-by-hop and Connection-listed headers stop at the gateway', { timeout: 30_000 }, async (t) => {
  const up = await startUpstream();
  const gw = await startGateway(proxyConfig(up.url));
  t.after(async () => { await gw.close(); await up.close(); });

  await rawRequest(gw.port(), [
    'GET /h HTTP/1.1', 'Host: gw.test',
    'Connection: close, X-Drop-Me',
    'Keep-Alive: timeout=99', 'TE: trailers', 'Trailer: x-late', 'Upgrade: h2c',
    'Proxy-Authorization: Basic c2VjcmV0', 'Proxy-Connection: keep-alive', 'Proxy-Anything: 1', 'Proxy: http://evil.test',
    'X-Drop-Me: 1', 'X-Keep-Me: 2', '', '',
  ].join('\r\n'));
  const h = up.received.at(-1)!.headers;
  for (const name of ['keep-alive', 'te', 'trailer', 'upgrade', 'proxy-authorization', 'proxy-connection', 'proxy-anything', 'proxy', 'x-drop-me']) {
    assert.equal(h[name], undefined, `${name} was forwarded`);
  }
  assert.ok(!String(h.connection).toLowerCase().includes('x-drop-me'), `connection: ${h.connection}`);
  assert.equal(h['x-keep-me'], '2');
});

test('response: hop-by-hop and Connection-listed headers stop at the gateway', { timeout: 30_000 }, async (t) => {
  const up = await startRawUpstream((socket: net.Socket) => socket.once('data', () => {
    socket.write([
      'HTTP/1.1 200 OK', 'Content-Type: text/plain',
      'Connection: keep-alive, X-Up-Drop', 'Keep-Alive: timeout=77',
      'Proxy-Authenticate: Basic', 'Proxy-Other: 1', 'Trailer: x-late', 'Upgrade: h2c',
      'X-Up-Drop: 1', 'X-Up-Keep: 2', 'Transfer-Encoding: chunked', '', '5', 'hello', '0', '', '',
    ].join('\r\n'));
  }));
  const gw = await startGateway(proxyConfig(up.url));
  t.after(async () => { await gw.close(); await up.close(); });

  const { text } = await rawRequest(gw.port(), 'GET /h HTTP/1.1\r\nHost: gw.test\r\nConnection: close\r\n\r\n');
  const lines = headLines(text);
  const names = lines.map(([n]) => n);
  for (const name of ['proxy-authenticate', 'proxy-other', 'trailer', 'upgrade', 'x-up-drop']) assert.ok(!names.includes(name), `${name} was forwarded:\n${text}`);
  assert.ok(!lines.some(([n, v]) => n === 'keep-alive' && v.includes('77')), `upstream keep-alive was forwarded:\n${text}`);
  assert.ok(!lines.some(([n, v]) => n === 'connection' && v.toLowerCase().includes('x-up-drop')), text);
  assert.equal(names.filter((n) => n === 'transfer-encoding').length, 1, 'one framing header, the gateway\'s own');
  assert.ok(lines.some(([n, v]) => n === 'x-up-keep' && v === '2'));
  assert.ok(names.includes('x-request-id'));
  assert.ok(text.includes('hello'));
});
