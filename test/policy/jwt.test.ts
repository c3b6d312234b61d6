// The jwt authenticator against an inline JWKS: claims (exp, nbf with skew, aud, iss,
// sub, exp required), algorithm attacks (alg none, HS256 signed with the RSA public key,
// an algorithm outside the allowlist), signatures, limits, required scopes and the spec
// checks at creation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { SignJWT, exportJWK, exportSPKI, generateKeyPair, type CryptoKey, type JWK } from 'jose';
import type { RequestContext } from '../../src/core/context.js';
import { createJwtAuthenticator, DEFAULT_JWT_ALGORITHMS, MAX_TOKEN_LENGTH, REASONS, type JwtSpec } from '../../src/policy/jwt.js';
import type { AuthResult } from '../../src/policy/types.js';

const ISS = 'https://idp.test';
const AUD = 'agentedge';
const now = () => Math.floor(Date.now() / 1000);
const ctx = (headers: Record<string, string>): RequestContext => ({ req: { headers } }) as unknown as RequestContext;
const bearer = (token: string) => ctx({ authorization: `Bearer ${token}` });
const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');

interface TestKey { alg: string; kid: string; privateKey: CryptoKey; publicKey: CryptoKey; jwk: JWK }
async function testKey(alg: string, kid: string): Promise<TestKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  return { alg, kid, privateKey, publicKey, jwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' } };
}

/** A token with good claims; `claims` overrides them (undefined removes one). */
async function sign(k: TestKey, claims: Record<string, unknown> = {}, header: Record<string, unknown> = {}): Promise<string> {
  const payload: Record<string, unknown> = { iss: ISS, aud: AUD, sub: 'alice', iat: now(), exp: now() + 3600, ...claims };
  for (const [name, v] of Object.entries(payload)) if (v === undefined) delete payload[name];
  return new SignJWT(payload).setProtectedHeader({ alg: k.alg, kid: k.kid, ...header }).sign(k.privateKey);
}

const rsa = await testKey('RS256', 'rsa-1');
const ec = await testKey('ES256', 'ec-1');
const ed = await testKey('EdDSA', 'ed-1');
const ps = await testKey('PS256', 'ps-1');

function spec(overrides: Partial<JwtSpec> = {}): JwtSpec {
  return {
    name: 'sso', issuer: ISS, audiences: [AUD], jwks: { inline: { keys: [rsa.jwk, ec.jwk, ed.jwk, ps.jwk] } },
    algorithms: [...DEFAULT_JWT_ALGORITHMS], clockSkewSeconds: 30, cacheMaxAgeMs: 600_000, cooldownMs: 30_000, timeoutMs: 5_000,
    ...overrides,
  };
}

const auth = createJwtAuthenticator(spec());
const check = async (token: string, a = auth): Promise<AuthResult> => a.authenticate(bearer(token));
const reason = async (token: string, a = auth): Promise<string> => {
  const r = await check(token, a);
  assert.equal(r.kind, 'invalid', JSON.stringify(r));
  return r.kind === 'invalid' ? r.reason : '';
};

test('a good token: ok, identity named by sub, with the claims and the policy', async () => {
  assert.equal(auth.kind, 'jwt');
  assert.equal(auth.name, 'sso');
  assert.match(auth.challenge, /^Bearer /);
  const r = await check(await sign(rsa, { groups: ['finance'] }));
  assert.ok(r.kind === 'ok');
  assert.equal(r.identity.kind, 'jwt');
  assert.equal(r.identity.name, 'alice');
  assert.deepEqual(r.identity.metadata, {});
  assert.equal(r.identity.policy, 'sso');
  assert.deepEqual(r.identity.claims?.groups, ['finance']);
  assert.equal(r.identity.claims?.iss, ISS);
});

test('every default algorithm family verifies: RS, PS, ES, EdDSA', async () => {
  for (const k of [rsa, ps, ec, ed]) assert.equal((await check(await sign(k))).kind, 'ok', k.alg);
});

test('no credential, or a bearer value that is not a JWT: none', () => {
  assert.deepEqual(auth.authenticate(ctx({})), { kind: 'none' });
  assert.deepEqual(auth.authenticate(ctx({ 'x-api-key': 'ae-key' })), { kind: 'none' });
  assert.deepEqual(auth.authenticate(bearer('ae-some-api-key')), { kind: 'none' });
  assert.deepEqual(auth.authenticate(ctx({ authorization: 'Bearer a b' })), { kind: 'invalid', reason: REASONS.malformed });
});

test('expired, beyond the clock skew: invalid "expired"; within the skew: ok', async () => {
  assert.equal(await reason(await sign(rsa, { exp: now() - 120 })), 'expired');
  assert.equal((await check(await sign(rsa, { exp: now() - 10 }))).kind, 'ok');
});

test('not yet valid, beyond the clock skew: invalid "not yet valid"; within the skew: ok', async () => {
  assert.equal(await reason(await sign(rsa, { nbf: now() + 120 })), 'not yet valid');
  assert.equal((await check(await sign(rsa, { nbf: now() + 10 }))).kind, 'ok');
});

test('wrong audience: invalid; one of several audiences on either side: ok', async () => {
  assert.equal(await reason(await sign(rsa, { aud: 'other-service' })), 'wrong audience');
  assert.equal(await reason(await sign(rsa, { aud: undefined })), 'wrong audience');
  assert.equal((await check(await sign(rsa, { aud: ['other-service', AUD] }))).kind, 'ok');
  const two = createJwtAuthenticator(spec({ audiences: ['first', AUD] }));
  assert.equal((await check(await sign(rsa), two)).kind, 'ok');
});

test('wrong or missing issuer: invalid "wrong issuer"', async () => {
  assert.equal(await reason(await sign(rsa, { iss: 'https://evil.test' })), 'wrong issuer');
  assert.equal(await reason(await sign(rsa, { iss: undefined })), 'wrong issuer');
});

test('missing, empty or non-string sub: invalid "missing sub"', async () => {
  assert.equal(await reason(await sign(rsa, { sub: undefined })), 'missing sub');
  assert.equal(await reason(await sign(rsa, { sub: '' })), 'missing sub');
  assert.equal(await reason(await sign(rsa, { sub: 42 })), 'missing sub');
});

test('missing exp: invalid "missing exp" (a token that never expires is refused)', async () => {
  assert.equal(await reason(await sign(rsa, { exp: undefined })), 'missing exp');
});

test('alg none (hand-crafted, empty signature): invalid "algorithm not allowed"', async () => {
  const claims = { iss: ISS, aud: AUD, sub: 'mallory', exp: now() + 3600 };
  assert.equal(await reason(`${b64({ alg: 'none', typ: 'JWT' })}.${b64(claims)}.`), 'algorithm not allowed');
  assert.equal(await reason(`${b64({ alg: 'none', kid: rsa.kid })}.${b64(claims)}.`), 'algorithm not allowed');
  assert.equal(await reason(`${b64({ alg: 'None' })}.${b64(claims)}.`), 'algorithm not allowed');
});

test('HS256 signed with the RSA public key as the HMAC secret (key confusion): invalid', async () => {
  const claims = { iss: ISS, aud: AUD, sub: 'mallory', exp: now() + 3600 };
  const input = `${b64({ alg: 'HS256', kid: rsa.kid })}.${b64(claims)}`;
  for (const secret of [await exportSPKI(rsa.publicKey), JSON.stringify(rsa.jwk), rsa.jwk.n!]) {
    const token = `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
    assert.equal(await reason(token), 'algorithm not allowed');
  }
});

test('an algorithm outside the allowlist: invalid, even with a matching key in the JWKS', async () => {
  const rsOnly = createJwtAuthenticator(spec({ algorithms: ['RS256'] }));
  assert.equal((await check(await sign(rsa), rsOnly)).kind, 'ok');
  assert.equal(await reason(await sign(ec), rsOnly), 'algorithm not allowed');
  assert.equal(await reason(await sign(ps), rsOnly), 'algorithm not allowed');
});

test('symmetric, unknown or no algorithms, and empty audiences, are refused at creation', () => {
  for (const algorithms of [['HS256'], ['RS256', 'HS512'], ['none'], ['RS1'], []]) {
    assert.throws(() => createJwtAuthenticator(spec({ algorithms })), TypeError, JSON.stringify(algorithms));
  }
  assert.throws(() => createJwtAuthenticator(spec({ audiences: [] })), /audiences/);
  assert.throws(() => createJwtAuthenticator(spec({ issuer: '' })), /issuer/);
  assert.throws(() => createJwtAuthenticator(spec({ jwks: { url: 'file:///etc/jwks.json' } })), /http or https/);
  assert.throws(() => createJwtAuthenticator(spec({ jwks: { inline: { keys: 'nope' } } })), /not a JSON Web Key Set/);
});

test('a tampered payload or a signature by another key: invalid "bad signature"', async () => {
  const [h, , s] = (await sign(rsa)).split('.');
  const forged = `${h}.${b64({ iss: ISS, aud: AUD, sub: 'admin', exp: now() + 3600 })}.${s}`;
  assert.equal(await reason(forged), 'bad signature');
  const impostor = await testKey('RS256', rsa.kid);
  assert.equal(await reason(await sign(impostor)), 'bad signature');
});

test('a kid not in the set: invalid "unknown key"', async () => {
  const stranger = await testKey('RS256', 'someone-else');
  assert.equal(await reason(await sign(stranger)), 'unknown key');
});

test('a token over 16 KiB: invalid "token too large", checked before any crypto', async () => {
  const big = await sign(rsa, { pad: 'x'.repeat(MAX_TOKEN_LENGTH) });
  assert.ok(big.length > MAX_TOKEN_LENGTH);
  const r = auth.authenticate(bearer(big));
  assert.ok(!(r instanceof Promise), 'refused synchronously');
  assert.deepEqual(r, { kind: 'invalid', reason: 'token too large' });
});

test('a set with several keys and no kid: the key that verifies is found', async () => {
  const other = await testKey('RS256', 'x');
  const strip = (jwk: JWK): JWK => { const { kid: _kid, ...rest } = jwk; return rest; };
  const noKids = createJwtAuthenticator(spec({ jwks: { inline: { keys: [strip(other.jwk), strip(rsa.jwk)] } } }));
  const token = await new SignJWT({ iss: ISS, aud: AUD, sub: 'bob', exp: now() + 60 }).setProtectedHeader({ alg: 'RS256' }).sign(rsa.privateKey);
  const r = await check(token, noKids);
  assert.ok(r.kind === 'ok' && r.identity.name === 'bob');
  const forged = await new SignJWT({ iss: ISS, aud: AUD, sub: 'bob', exp: now() + 60 }).setProtectedHeader({ alg: 'RS256' }).sign((await testKey('RS256', 'y')).privateKey);
  assert.equal(await reason(forged, noKids), 'bad signature');
});

test('reasons are the fixed short strings, never the token', async () => {
  const known = new Set<string>(Object.values(REASONS));
  const tokens = [await sign(rsa, { exp: now() - 999 }), await sign(rsa, { aud: 'x' }), `${b64({ alg: 'none' })}.${b64({ sub: 'x' })}.`, 'eyJ.eyJ.x'];
  for (const t of tokens) {
    const r = await check(t);
    assert.ok(r.kind === 'invalid' && known.has(r.reason) && !t.includes(r.reason), JSON.stringify(r));
  }
});

test('required scopes: all of them in scope (space-separated) or scp (a list or a string); a valid token without them is insufficient', async () => {
  const scoped = createJwtAuthenticator(spec({ scopes: ['mcp:tools', 'mcp:read'] }));
  assert.deepEqual(scoped.scopes, ['mcp:tools', 'mcp:read']);
  for (const claims of [{ scope: 'mcp:read mcp:tools' }, { scope: 'x mcp:tools  mcp:read' }, { scp: ['mcp:tools', 'mcp:read'] }, { scp: 'mcp:tools mcp:read' }, { scope: 'mcp:tools', scp: ['mcp:read'] }]) {
    assert.equal((await check(await sign(rsa, claims), scoped)).kind, 'ok', JSON.stringify(claims));
  }
  for (const claims of [{}, { scope: 'mcp:tools' }, { scope: 'mcp:tools,mcp:read' }, { scp: ['mcp:tools mcp:read'] }, { scope: 42 }]) {
    const r = await check(await sign(rsa, claims), scoped);
    assert.deepEqual(r, { kind: 'insufficient', reason: REASONS.scope, scopes: ['mcp:tools', 'mcp:read'] }, JSON.stringify(claims));
  }
  // An invalid token is invalid whatever its scopes: the scopes are read only from a verified one.
  assert.equal(await reason(await sign(rsa, { scope: 'mcp:tools mcp:read', aud: 'elsewhere' }), scoped), REASONS.audience);
  // Without scopes in the spec, none are required.
  assert.equal((await check(await sign(rsa, {}))).kind, 'ok');
});
