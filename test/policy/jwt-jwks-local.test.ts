// A JWKS from a file (read once, at creation) or inline in config: tokens verify, an
// unknown kid is refused without any fetch, and a bad file is an error at creation that
// names the file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignJWT, exportJWK, generateKeyPair } from 'jose';
import type { RequestContext } from '../../src/core/context.js';
import { createJwtAuthenticator, DEFAULT_JWT_ALGORITHMS, MAX_JWKS_BYTES, type JwtSpec } from '../../src/policy/jwt.js';

const ISS = 'https://idp.test';
const AUD = 'agentedge';
const bearer = (token: string): RequestContext => ({ req: { headers: { authorization: `Bearer ${token}` } } }) as unknown as RequestContext;

const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
const jwks = { keys: [{ ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' }] };
const token = (kid = 'k1') => new SignJWT({ sub: 'carol' }).setProtectedHeader({ alg: 'ES256', kid })
  .setIssuer(ISS).setAudience(AUD).setExpirationTime('5m').sign(privateKey);

const spec = (source: JwtSpec['jwks']): JwtSpec => ({
  name: 'local', issuer: ISS, audiences: [AUD], jwks: source, algorithms: [...DEFAULT_JWT_ALGORITHMS],
  clockSkewSeconds: 0, cacheMaxAgeMs: 600_000, cooldownMs: 30_000, timeoutMs: 1_000,
});

const dir = mkdtempSync(join(tmpdir(), 'agentedge-jwks-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

test('JWKS from a file: a token verifies; an unknown kid is refused', async () => {
  const file = join(dir, 'jwks.json');
  writeFileSync(file, JSON.stringify(jwks));
  const auth = createJwtAuthenticator(spec({ file }));
  const r = await auth.authenticate(bearer(await token()));
  assert.ok(r.kind === 'ok' && r.identity.name === 'carol' && r.identity.policy === 'local');
  assert.deepEqual(await auth.authenticate(bearer(await token('k2'))), { kind: 'invalid', reason: 'unknown key' });
});

test('the file is read once, at creation: changing it later changes nothing', async () => {
  const file = join(dir, 'once.json');
  writeFileSync(file, JSON.stringify(jwks));
  const auth = createJwtAuthenticator(spec({ file }));
  writeFileSync(file, JSON.stringify({ keys: [] }));
  assert.equal((await auth.authenticate(bearer(await token()))).kind, 'ok');
});

test('JWKS inline: a token verifies', async () => {
  const auth = createJwtAuthenticator(spec({ inline: jwks }));
  assert.equal((await auth.authenticate(bearer(await token()))).kind, 'ok');
});

test('a missing, malformed or oversized file is an error at creation that names the file', () => {
  const missing = join(dir, 'missing.json');
  assert.throws(() => createJwtAuthenticator(spec({ file: missing })), (e: Error) => e.message.includes(missing) && e.message.includes('ENOENT'));
  const notJson = join(dir, 'bad.json');
  writeFileSync(notJson, '{"keys": [');
  assert.throws(() => createJwtAuthenticator(spec({ file: notJson })), (e: Error) => e.message.includes(notJson) && /not a JSON Web Key Set/.test(e.message));
  const notJwks = join(dir, 'array.json');
  writeFileSync(notJwks, '[1, 2]');
  assert.throws(() => createJwtAuthenticator(spec({ file: notJwks })), /not a JSON Web Key Set/);
  const huge = join(dir, 'huge.json');
  writeFileSync(huge, JSON.stringify({ keys: [], pad: 'x'.repeat(MAX_JWKS_BYTES) }));
  assert.throws(() => createJwtAuthenticator(spec({ file: huge })), /larger than/);
});

test('a private key in the set is refused when it would be used, not trusted', async () => {
  const priv = { ...(await exportJWK(privateKey)), kid: 'k1', alg: 'ES256' };
  const auth = createJwtAuthenticator(spec({ inline: { keys: [priv] } }));
  assert.equal((await auth.authenticate(bearer(await token()))).kind, 'invalid');
});
