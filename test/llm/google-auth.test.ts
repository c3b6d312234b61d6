// Google access tokens (providers/google-auth.ts) against a fake token endpoint: the
// service-account JWT is signed with the key and carries the documented claims, the
// authorized_user file uses the refresh_token grant, a token is cached (one fetch for many
// calls, concurrent calls share one fetch) and renewed before it expires, and a failure is
// an AE_UPSTREAM_UNAVAILABLE whose message holds no secret.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Secret } from '../../src/config/index.js';
import { type GoogleCredentials } from '../../src/llm/spec.js';
import { GatewayError } from '../../src/core/index.js';
import { clearGoogleTokenCache, forgetGoogleToken, googleAccessToken, googleAuthStats } from '../../src/llm/providers/google-auth.js';
import { CLIENT_EMAIL, CLIENT_SECRET, KEY_ID, REFRESH_TOKEN, startFakeVertex, type FakeVertex } from './vertex-support.js';
import { closedPort } from '../http/support.js';

async function fakeFor(t: { after(fn: () => Promise<void>): void }): Promise<FakeVertex> {
  const fake = await startFakeVertex();
  t.after(() => fake.close());
  return fake;
}

function serviceAccount(fake: FakeVertex, tokenUri = fake.tokenUri): GoogleCredentials {
  return { type: 'service_account', clientEmail: CLIENT_EMAIL, privateKey: new Secret(fake.privateKey), privateKeyId: KEY_ID, tokenUri };
}

function authorizedUser(fake: FakeVertex): GoogleCredentials {
  return { type: 'authorized_user', clientId: 'client-id.apps.googleusercontent.com', clientSecret: new Secret(CLIENT_SECRET), refreshToken: new Secret(REFRESH_TOKEN), tokenUri: fake.tokenUri };
}

test('service account: a signed JWT bearer grant; the token is cached across calls', { timeout: 30_000 }, async (t) => {
  const fake = await fakeFor(t);
  const creds = serviceAccount(fake);
  const first = await googleAccessToken(creds);
  assert.equal(first, fake.issued[0]);
  assert.deepEqual(fake.problems, []);
  const jwt = fake.tokenRequests[0]!.jwt!;
  assert.equal(jwt.header.alg, 'RS256');
  assert.equal(jwt.claims.aud, fake.tokenUri);
  assert.ok(jwt.claims.exp - jwt.claims.iat <= 3600);
  for (let i = 0; i < 5; i++) assert.equal(await googleAccessToken(creds), first);
  assert.equal(fake.tokenRequests.length, 1);
  // Equal credentials in a new object (a reload) share the cache entry.
  assert.equal(await googleAccessToken(serviceAccount(fake)), first);
  assert.equal(fake.tokenRequests.length, 1);
});

test('concurrent callers share one fetch', { timeout: 30_000 }, async (t) => {
  const fake = await fakeFor(t);
  fake.tokenDelayMs = 100;
  const creds = serviceAccount(fake);
  const tokens = await Promise.all(Array.from({ length: 10 }, () => googleAccessToken(creds)));
  assert.equal(fake.tokenRequests.length, 1);
  assert.ok(tokens.every((x) => x === fake.issued[0]));
});

test('a token is renewed before it expires', { timeout: 30_000 }, async (t) => {
  const fake = await fakeFor(t);
  // A 2 s token is used for half its life (the margin is 5 minutes, or half a short lifetime).
  fake.expiresIn = 2;
  const creds = serviceAccount(fake);
  const a = await googleAccessToken(creds);
  assert.equal(await googleAccessToken(creds), a);
  await new Promise((r) => setTimeout(r, 1100));
  const b = await googleAccessToken(creds);
  assert.notEqual(b, a);
  assert.equal(b, fake.issued[1]);
  assert.equal(fake.tokenRequests.length, 2);
});

test('authorized_user: the refresh_token grant', { timeout: 30_000 }, async (t) => {
  const fake = await fakeFor(t);
  const token = await googleAccessToken(authorizedUser(fake));
  assert.equal(token, fake.issued[0]);
  assert.deepEqual(fake.problems, []);
  assert.equal(fake.tokenRequests[0]!.form.grant_type, 'refresh_token');
});

test('a refused grant is AE_UPSTREAM_UNAVAILABLE without secrets; the next call tries again', { timeout: 30_000 }, async (t) => {
  const fake = await fakeFor(t);
  fake.tokenFailure = 400;
  for (const creds of [serviceAccount(fake), authorizedUser(fake)]) {
    const err = await googleAccessToken(creds).then(() => null, (e: unknown) => e);
    assert.ok(err instanceof GatewayError, String(err));
    assert.equal(err.code, 'AE_UPSTREAM_UNAVAILABLE');
    assert.match(err.message, /invalid_grant/);
    const text = `${err.message} ${err.publicMessage} ${JSON.stringify(err)} ${String(err.stack)}`;
    const assertion = fake.tokenRequests.at(-1)!.form.assertion;
    const signature = assertion?.split('.')[2];
    for (const secret of [fake.privateKey, CLIENT_SECRET, REFRESH_TOKEN, assertion ?? 'none-0123', signature?.slice(0, 20) ?? 'none-0123']) {
      assert.ok(!text.includes(secret), `secret in error: ${text}`);
    }
  }
  fake.tokenFailure = null;
  const before = googleAuthStats.fetches;
  assert.equal(await googleAccessToken(serviceAccount(fake)), fake.issued[0]);
  assert.equal(googleAuthStats.fetches, before + 1);
});

test('an unreachable token endpoint is AE_UPSTREAM_UNAVAILABLE', { timeout: 30_000 }, async (t) => {
  const fake = await fakeFor(t);
  const port = await closedPort();
  const err = await googleAccessToken(serviceAccount(fake, `http://127.0.0.1:${port}/token`)).then(() => null, (e: unknown) => e);
  assert.ok(err instanceof GatewayError);
  assert.equal(err.code, 'AE_UPSTREAM_UNAVAILABLE');
  assert.match(err.message, /could not be reached/);
});

test('an aborted wait rejects that caller only', { timeout: 30_000 }, async (t) => {
  const fake = await fakeFor(t);
  clearGoogleTokenCache();
  fake.tokenDelayMs = 200;
  const creds = serviceAccount(fake);
  const ac = new AbortController();
  const aborted = googleAccessToken(creds, ac.signal);
  const other = googleAccessToken(creds);
  ac.abort();
  await assert.rejects(aborted, (e: unknown) => e instanceof GatewayError);
  assert.equal(await other, fake.issued[0]);
  assert.equal(fake.tokenRequests.length, 1);
});

test('a forgotten token is fetched anew', { timeout: 30_000 }, async (t) => {
  const fake = await fakeFor(t);
  const creds = serviceAccount(fake);
  const a = await googleAccessToken(creds);
  forgetGoogleToken(serviceAccount(fake));
  const b = await googleAccessToken(creds);
  assert.notEqual(a, b);
  assert.equal(fake.tokenRequests.length, 2);
});
