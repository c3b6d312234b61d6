// An upstream that answers before reading the whole upload (a 413 after the first
// chunk, then closes): the client gets an answer, never a hang, and the rest of the
// upload is not forwarded. Which answer is a race inside undici: when its next body
// write fails (EPIPE) before it has parsed the response, it drops the response and
// reports the write error, so the client may get a 502 instead of the 413.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { request } from 'undici';
import { startGateway, proxyConfig } from '../helpers/gateway.js';
import { startUpstream } from '../helpers/upstream.js';
import { failOnUnhandledRejection } from './support.js';

test('upstream answers mid-upload → the client gets an answer, not a hang', { timeout: 30_000 }, async (t) => {
  failOnUnhandledRejection(t);
  let upstreamBytes = 0;
  const up = await startUpstream((req, res) => {
    req.once('data', (c: Buffer) => {
      upstreamBytes += c.length;
      req.pause();
      res.writeHead(413, { 'content-type': 'application/json', connection: 'close' });
      res.end('{"error":"too big for me"}');
    });
  });
  const gw = await startGateway(proxyConfig(up.url));
  t.after(async () => { await gw.close(); await up.close(); });

  const part = Buffer.alloc(256 * 1024, 0x7a);
  let produced = 0;
  const body = new Readable({
    read() {
      if (produced >= 64) { this.push(null); return; }
      produced++;
      this.push(part);
    },
  });
  const res = await request(`${gw.url()}/upload`, { method: 'POST', body });
  const text = await res.body.text();
  if (res.statusCode === 413) assert.equal(text, '{"error":"too big for me"}');
  else assert.equal(JSON.parse(text).error.code, 'AE_UPSTREAM_UNAVAILABLE');
  assert.ok(upstreamBytes < 64 * part.length);
});
