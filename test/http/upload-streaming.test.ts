// A large chunked upload streams: the upstream receives the first bytes while the
// client is still holding the rest back (it waits for the upstream to say so), and the
// whole body arrives intact.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { request } from 'undici';
import { startGateway, proxyConfig } from '../helpers/gateway.js';
import { startUpstream } from '../helpers/upstream.js';
import { signal } from './support.js';

test('a chunked upload reaches the upstream before the client finished sending', { timeout: 30_000 }, async (t) => {
  const parts = Array.from({ length: 24 }, () => randomBytes(256 * 1024));
  const expected = createHash('sha256');
  for (const p of parts) expected.update(p);
  const upstreamGotData = signal('the upstream to receive the first bytes');
  const up = await startUpstream((req, res) => {
    const hash = createHash('sha256');
    let bytes = 0;
    req.on('data', (c: Buffer) => { bytes += c.length; hash.update(c); upstreamGotData.resolve(); });
    req.on('end', () => res.end(JSON.stringify({ bytes, sha: hash.digest('hex'), te: req.headers['transfer-encoding'] ?? null })));
  });
  const gw = await startGateway(proxyConfig(up.url));
  t.after(async () => { await gw.close(); await up.close(); });

  let heldBack = false;
  async function* body() {
    yield parts[0]!;
    await upstreamGotData.wait();
    heldBack = true; // the upstream had data before the rest was even produced
    for (const p of parts.slice(1)) yield p;
  }
  const res = await request(`${gw.url()}/upload`, { method: 'POST', body: Readable.from(body()), headers: { 'content-type': 'application/octet-stream' } });
  const out = await res.body.json() as { bytes: number; sha: string; te: string | null };
  assert.equal(res.statusCode, 200);
  assert.ok(heldBack);
  assert.equal(out.te, 'chunked');
  assert.equal(out.bytes, 24 * 256 * 1024);
  assert.equal(out.sha, expected.digest('hex'));
});
