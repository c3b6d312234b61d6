// A listener with `tls: { cert, key }` serves HTTPS; the upstream is told the client came
// over https (x-forwarded-proto), and plain HTTP on the TLS port gets nowhere.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Agent, request } from 'undici';
import { startGateway, proxyConfig } from '../helpers/gateway.js';
import { rawRequest, startUpstream } from '../helpers/upstream.js';

const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/tls/${name}`, import.meta.url));

test('HTTPS listener proxies to a plain upstream with x-forwarded-proto: https', async (t) => {
  const up = await startUpstream();
  const gw = await startGateway(proxyConfig(up.url, { listener: `    tls: { cert: "${fixture('cert.pem')}", key: "${fixture('key.pem')}" }` }));
  const agent = new Agent({ connect: { ca: readFileSync(fixture('cert.pem')) } });
  t.after(async () => { await agent.close(); await gw.close(); await up.close(); });

  for (const host of ['localhost', '127.0.0.1']) {
    const res = await request(`https://${host}:${gw.port()}/secure/path?x=1`, { dispatcher: agent, method: 'POST', body: 'hi' });
    assert.equal(res.statusCode, 200);
    const seen = await res.body.json() as { url: string; headers: Record<string, string> };
    assert.equal(seen.url, '/secure/path?x=1');
    assert.equal(seen.headers['x-forwarded-proto'], 'https');
  }
  assert.equal(up.received.at(-1)!.body.toString(), 'hi');

  // A client that does not trust the certificate is refused by TLS itself.
  await assert.rejects(request(`https://localhost:${gw.port()}/`), /certificate/i);

  // Plaintext HTTP on the TLS port never becomes a request.
  const before = up.received.length;
  const plain = await rawRequest(gw.port(), 'GET / HTTP/1.1\r\nHost: a\r\n\r\n');
  assert.ok(plain.closed);
  assert.ok(!plain.text.startsWith('HTTP/1.1 200'));
  assert.equal(up.received.length, before);
});
