// The Vertex access tokens an answer may echo (googleTokensInUse, for the answer mask): the
// cached token, and the one it replaced, since a call sent with the old one may still be
// answered after a renewal or after a 401 made the gateway forget it. Nothing is fetched.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Secret } from '../../src/config/index.js';
import { type GoogleCredentials } from '../../src/llm/spec.js';
import { clearGoogleTokenCache, forgetGoogleToken, googleAccessToken, googleTokensInUse } from '../../src/llm/providers/google-auth.js';
import { CLIENT_EMAIL, KEY_ID, startFakeVertex } from './vertex-support.js';

test('the current token and the one before it; never a fetch', { timeout: 30_000 }, async (t) => {
  clearGoogleTokenCache();
  const fake = await startFakeVertex();
  t.after(() => fake.close());
  const creds: GoogleCredentials = { type: 'service_account', clientEmail: CLIENT_EMAIL, privateKey: new Secret(fake.privateKey), privateKeyId: KEY_ID, tokenUri: fake.tokenUri };
  assert.deepEqual(googleTokensInUse(creds), []);
  assert.equal(fake.tokenRequests.length, 0);
  const first = await googleAccessToken(creds);
  assert.deepEqual(googleTokensInUse(creds), [first]);
  forgetGoogleToken(creds);
  assert.deepEqual(googleTokensInUse(creds), [first]);
  const second = await googleAccessToken(creds);
  assert.notEqual(second, first);
  assert.deepEqual(googleTokensInUse(creds), [second, first]);
  assert.equal(fake.tokenRequests.length, 2);
});
