// A route's limits.maxBodyBytes replaces the listener's, larger or smaller, for declared
// and chunked bodies alike.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startGateway } from '../helpers/gateway.js';
import { rawRequest, startUpstream } from '../helpers/upstream.js';
import { parseResponse } from './support.js';

test('per-route maxBodyBytes overrides the listener limit', async (t) => {
  const up = await startUpstream();
  const gw = await startGateway(`gateway: { admin: off }
listeners:
  - name: edge
    port: 0
    limits: { maxBodyBytes: 1kb }
    routes:
      - { name: big, match: { path: /big }, limits: { maxBodyBytes: 8kb }, backend: up }
      - { name: small, match: { path: /small }, limits: { maxBodyBytes: 512 }, backend: up }
      - { name: rest, backend: up }
backends:
  up: { http: { url: "${up.url}" } }
`);
  t.after(async () => { await gw.close(); await up.close(); });

  const post = async (path: string, size: number, chunked = false) => {
    const body = 'x'.repeat(size);
    const framing = chunked ? 'Transfer-Encoding: chunked' : `Content-Length: ${size}`;
    const payload = chunked ? `${size.toString(16)}\r\n${body}\r\n0\r\n\r\n` : body;
    const { text } = await rawRequest(gw.port(), `POST ${path} HTTP/1.1\r\nHost: a\r\nConnection: close\r\n${framing}\r\n\r\n${payload}`);
    return parseResponse(text).status;
  };

  assert.equal(await post('/big', 4096), 200);
  assert.equal(await post('/big', 4096, true), 200);
  assert.equal(await post('/big', 9000), 413);
  assert.equal(await post('/other', 4096), 413);
  assert.equal(await post('/other', 4096, true), 413);
  assert.equal(await post('/other', 800), 200);
  assert.equal(await post('/small', 800), 413);
  assert.equal(await post('/small', 800, true), 413);
  assert.equal(await post('/small', 500), 200);
});
