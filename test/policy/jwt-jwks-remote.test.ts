// A remote JWKS served by a real loopback server: rotation (a new kid is fetched), the
// cooldown that keeps unknown kids from hammering the IdP (counted at the server), and an
// IdP that is down, slow, redirecting or answering too much: "JWKS unavailable", with the
// last good set still verifying while fetches fail and no fetch storm.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { SignJWT, exportJWK, generateKeyPair, type CryptoKey, type JWK } from 'jose';
import type { RequestContext } from '../../src/core/context.js';
import { createJwtAuthenticator, DEFAULT_JWT_ALGORITHMS, JWKS_UNAVAILABLE, MAX_JWKS_BYTES, type JwtSpec } from '../../src/policy/jwt.js';
import type { AuthResult } from '../../src/policy/types.js';

const ISS = 'https://idp.test';
const AUD = 'agentedge';
const bearer = (token: string): RequestContext => ({ req: { headers: { authorization: `Bearer ${token}` } } }) as unknown as RequestContext;

interface TestKey { kid: string; privateKey: CryptoKey; jwk: JWK }
async function testKey(kid: string): Promise<TestKey> {
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
  return { kid, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' } };
}
const sign = (k: TestKey, sub = 'dave') => new SignJWT({ sub }).setProtectedHeader({ alg: 'RS256', kid: k.kid })
  .setIssuer(ISS).setAudience(AUD).setExpirationTime('10m').sign(k.privateKey);

/** A JWKS server on 127.0.0.1, port 0. `handle` may be replaced to misbehave; `requests` counts every request. */
async function jwksServer(keys: TestKey[]) {
  const s = {
    keys,
    requests: 0,
    paths: [] as string[],
    url: '',
    handle: (_req: IncomingMessage, res: ServerResponse): void => {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: s.keys.map((k) => k.jwk) }));
    },
  };
  const server = createServer((req, res) => { s.requests++; s.paths.push(req.url ?? ''); s.handle(req, res); });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  s.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks.json`;
  test.after(() => { server.closeAllConnections(); server.close(); });
  return s;
}

const spec = (url: string, overrides: Partial<JwtSpec> = {}): JwtSpec => ({
  name: 'idp', issuer: ISS, audiences: [AUD], jwks: { url }, algorithms: [...DEFAULT_JWT_ALGORITHMS],
  clockSkewSeconds: 0, cacheMaxAgeMs: 600_000, cooldownMs: 30_000, timeoutMs: 2_000, ...overrides,
});
const run = async (auth: ReturnType<typeof createJwtAuthenticator>, token: string): Promise<AuthResult> => auth.authenticate(bearer(token));

const k1 = await testKey('k1');
const k2 = await testKey('k2');

test('a token verifies against the fetched set, which is cached', async () => {
  const idp = await jwksServer([k1]);
  const auth = createJwtAuthenticator(spec(idp.url));
  for (let i = 0; i < 5; i++) {
    const r = await run(auth, await sign(k1));
    assert.ok(r.kind === 'ok' && r.identity.name === 'dave');
  }
  assert.equal(idp.requests, 1);
});

test('rotation: the IdP starts serving a new key; a token with the new kid verifies after one refetch', async () => {
  const idp = await jwksServer([k1]);
  const auth = createJwtAuthenticator(spec(idp.url, { cooldownMs: 0 }));
  assert.equal((await run(auth, await sign(k1))).kind, 'ok');
  idp.keys = [k2];
  const r = await run(auth, await sign(k2, 'erin'));
  assert.ok(r.kind === 'ok' && r.identity.name === 'erin');
  assert.equal(idp.requests, 2);
  assert.equal((await run(auth, await sign(k2))).kind, 'ok');
  assert.equal(idp.requests, 2, 'the new set is cached');
});

test('unknown kids do not refetch more often than the cooldown', async () => {
  const idp = await jwksServer([k1]);
  const auth = createJwtAuthenticator(spec(idp.url, { cooldownMs: 60_000 }));
  assert.equal((await run(auth, await sign(k1))).kind, 'ok');
  const stranger = await testKey('made-up');
  for (let i = 0; i < 20; i++) assert.deepEqual(await run(auth, await sign(stranger)), { kind: 'invalid', reason: 'unknown key' });
  await Promise.all(Array.from({ length: 20 }, async () => run(auth, await sign(stranger))));
  assert.equal(idp.requests, 1, 'no refetch inside the cooldown');
  // Even a real rotation waits for the cooldown: the new key is not known yet.
  idp.keys = [k1, k2];
  assert.deepEqual(await run(auth, await sign(k2)), { kind: 'invalid', reason: 'unknown key' });
  assert.equal(idp.requests, 1);
});

test('after the cooldown, an unknown kid triggers one refetch', async () => {
  const idp = await jwksServer([k1]);
  const auth = createJwtAuthenticator(spec(idp.url, { cooldownMs: 50 }));
  assert.equal((await run(auth, await sign(k1))).kind, 'ok');
  idp.keys = [k1, k2];
  await sleep(120);
  assert.equal((await run(auth, await sign(k2))).kind, 'ok');
  assert.equal(idp.requests, 2);
});

test('concurrent first requests share one fetch', async () => {
  const idp = await jwksServer([k1]);
  const auth = createJwtAuthenticator(spec(idp.url));
  const token = await sign(k1);
  const results = await Promise.all(Array.from({ length: 10 }, () => run(auth, token)));
  assert.ok(results.every((r) => r.kind === 'ok'));
  assert.equal(idp.requests, 1);
});

test('IdP answering 500, with no good set yet: "JWKS unavailable", and no fetch per request while it fails', async () => {
  const idp = await jwksServer([k1]);
  idp.handle = (_req, res) => { res.writeHead(500).end('oops'); };
  const auth = createJwtAuthenticator(spec(idp.url, { cooldownMs: 60_000 }));
  const token = await sign(k1);
  assert.deepEqual(await run(auth, token), { kind: 'invalid', reason: JWKS_UNAVAILABLE });
  for (let i = 0; i < 10; i++) assert.deepEqual(await run(auth, token), { kind: 'invalid', reason: JWKS_UNAVAILABLE });
  assert.equal(idp.requests, 1, 'failures back off too');
});

test('after a failure the fetch is retried once the back-off (min(cooldown, 5 s)) has passed', async () => {
  const idp = await jwksServer([k1]);
  idp.handle = (_req, res) => { res.writeHead(503).end(); };
  const auth = createJwtAuthenticator(spec(idp.url, { cooldownMs: 50 }));
  const token = await sign(k1);
  assert.deepEqual(await run(auth, token), { kind: 'invalid', reason: JWKS_UNAVAILABLE });
  idp.handle = (_req, res) => { res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [k1.jwk] })); };
  await sleep(120);
  assert.equal((await run(auth, token)).kind, 'ok');
  assert.equal(idp.requests, 2);
});

test('IdP down (connection refused): "JWKS unavailable"', async () => {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const port = (probe.address() as AddressInfo).port;
  await new Promise((resolve) => probe.close(resolve));
  const auth = createJwtAuthenticator(spec(`http://127.0.0.1:${port}/jwks.json`));
  assert.deepEqual(await run(auth, await sign(k1)), { kind: 'invalid', reason: JWKS_UNAVAILABLE });
});

test('IdP that never answers: "JWKS unavailable" at the fetch timeout', async () => {
  const idp = await jwksServer([k1]);
  idp.handle = () => { /* never answers */ };
  const auth = createJwtAuthenticator(spec(idp.url, { timeoutMs: 150 }));
  assert.deepEqual(await run(auth, await sign(k1)), { kind: 'invalid', reason: JWKS_UNAVAILABLE });
});

test('IdP that sends headers then stalls the body: "JWKS unavailable" at the fetch timeout', async () => {
  const idp = await jwksServer([k1]);
  idp.handle = (_req, res) => { res.writeHead(200, { 'content-type': 'application/json' }); res.write('{"keys":['); };
  const auth = createJwtAuthenticator(spec(idp.url, { timeoutMs: 150 }));
  assert.deepEqual(await run(auth, await sign(k1)), { kind: 'invalid', reason: JWKS_UNAVAILABLE });
});

test('a JWKS over the size limit is refused, declared or streamed', async () => {
  const big = JSON.stringify({ keys: [k1.jwk], pad: 'x'.repeat(MAX_JWKS_BYTES) });
  const declared = await jwksServer([k1]);
  declared.handle = (_req, res) => { res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(big) }).end(big); };
  assert.deepEqual(await run(createJwtAuthenticator(spec(declared.url)), await sign(k1)), { kind: 'invalid', reason: JWKS_UNAVAILABLE });

  const chunked = await jwksServer([k1]);
  chunked.handle = (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    for (let i = 0; i < big.length; i += 16_384) res.write(big.slice(i, i + 16_384));
    res.end();
  };
  assert.deepEqual(await run(createJwtAuthenticator(spec(chunked.url)), await sign(k1)), { kind: 'invalid', reason: JWKS_UNAVAILABLE });
});

test('a redirect is not followed', async () => {
  const idp = await jwksServer([k1]);
  idp.handle = (req, res) => {
    if (req.url === '/jwks.json') res.writeHead(302, { location: '/elsewhere.json' }).end();
    else res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [k1.jwk] }));
  };
  assert.deepEqual(await run(createJwtAuthenticator(spec(idp.url)), await sign(k1)), { kind: 'invalid', reason: JWKS_UNAVAILABLE });
  assert.deepEqual(idp.paths, ['/jwks.json']);
});

test('a body that is not a JWKS: "JWKS unavailable"', async () => {
  const idp = await jwksServer([k1]);
  idp.handle = (_req, res) => { res.writeHead(200, { 'content-type': 'text/html' }).end('<html>login</html>'); };
  assert.deepEqual(await run(createJwtAuthenticator(spec(idp.url)), await sign(k1)), { kind: 'invalid', reason: JWKS_UNAVAILABLE });
});

test('while the IdP is down, the last good set keeps verifying, without a fetch per request', async () => {
  const idp = await jwksServer([k1]);
  // cacheMaxAge 0: every request wants a fresh set, the worst case for a down IdP.
  const auth = createJwtAuthenticator(spec(idp.url, { cacheMaxAgeMs: 0, cooldownMs: 60_000 }));
  const token = await sign(k1);
  assert.equal((await run(auth, token)).kind, 'ok');
  assert.equal(idp.requests, 1);
  idp.handle = (_req, res) => { res.writeHead(502).end(); };
  assert.equal((await run(auth, token)).kind, 'ok', 'the failed refetch falls back to the last good set');
  assert.equal(idp.requests, 2);
  for (let i = 0; i < 10; i++) assert.equal((await run(auth, token)).kind, 'ok');
  assert.deepEqual(await run(auth, await sign(k2)), { kind: 'invalid', reason: 'unknown key' });
  assert.equal(idp.requests, 2, 'no fetch while backing off');
});
