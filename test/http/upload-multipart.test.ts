// A multipart upload of a few MB (FormData sent by undici) reaches the upstream byte
// for byte: same length as declared, and the file part parses back identical.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { FormData, request, Response } from 'undici';
import { startGateway, proxyConfig } from '../helpers/gateway.js';
import { startUpstream } from '../helpers/upstream.js';

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

test('multipart upload passes through byte-exact', { timeout: 30_000 }, async (t) => {
  const file = randomBytes(3 * 1024 * 1024 + 17);
  const up = await startUpstream((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      void new Response(Readable.toWeb(Readable.from([raw])) as ReadableStream, { headers: { 'content-type': req.headers['content-type']! } }).formData().then(async (form) => {
        const part = form.get('file') as Blob;
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({
          declared: req.headers['content-length'] ?? null,
          received: raw.length,
          meta: form.get('meta'),
          name: (part as File).name,
          sha: sha(new Uint8Array(await part.arrayBuffer())),
        }));
      });
    });
  });
  const gw = await startGateway(proxyConfig(up.url));
  t.after(async () => { await gw.close(); await up.close(); });

  const form = new FormData();
  form.append('meta', 'héllo wörld');
  form.append('file', new Blob([file]), 'data.bin');
  const res = await request(`${gw.url()}/upload`, { method: 'POST', body: form });
  const out = await res.body.json() as { declared: string | null; received: number; meta: string; name: string; sha: string };
  assert.equal(res.statusCode, 200);
  if (out.declared !== null) assert.equal(Number(out.declared), out.received);
  assert.ok(out.received > file.length);
  assert.equal(out.meta, 'héllo wörld');
  assert.equal(out.name, 'data.bin');
  assert.equal(out.sha, sha(file));
});
