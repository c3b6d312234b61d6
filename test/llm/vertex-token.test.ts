// Vertex access tokens through the gateway: an authorized_user file works (refresh_token
// grant), an expiring token is renewed, and a token endpoint that refuses the grant gives
// the client a 502 in its own shape (OpenAI, Anthropic) without any model call, with no
// secret in the answer or in the logs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'undici';
import { CLIENT_SECRET, GEMINI_MODEL, REFRESH_TOKEN, setupVertex, vertexPath } from './vertex-support.js';

test('vertex: authorized_user credentials (refresh_token grant)', { timeout: 30_000 }, async (t) => {
  const { fake, client } = await setupVertex(t, { authorizedUser: true });
  const data = await client.chat.completions.create({ model: 'vgem', messages: [{ role: 'user', content: 'hi' }] });
  assert.equal(data.choices[0]!.message.content, 'Hello from Vertex');
  assert.equal(fake.tokenRequests[0]!.form.grant_type, 'refresh_token');
  assert.equal(fake.received[0]!.headers.authorization, `Bearer ${fake.issued[0]}`);
  assert.deepEqual(fake.problems, []);
});

test('vertex: a token is renewed when it nears its expiry', { timeout: 30_000 }, async (t) => {
  const { fake, client } = await setupVertex(t);
  fake.expiresIn = 2;
  const ask = () => client.chat.completions.create({ model: 'vgem', messages: [{ role: 'user', content: 'hi' }] });
  await ask();
  await ask();
  assert.equal(fake.tokenRequests.length, 1);
  await new Promise((r) => setTimeout(r, 1100));
  await ask();
  assert.equal(fake.tokenRequests.length, 2);
  assert.equal(fake.received[2]!.headers.authorization, `Bearer ${fake.issued[1]}`);
  assert.equal(fake.received[2]!.url, vertexPath('google', GEMINI_MODEL, 'generateContent'));
});

test('vertex: a refused token grant is a 502 on both fronts, nothing secret in answers or logs', { timeout: 30_000 }, async (t) => {
  const { fake, gw } = await setupVertex(t);
  fake.tokenFailure = 400;
  const openai = await request(`${gw.url()}/v1/chat/completions`, {
    method: 'POST', headers: { 'content-type': 'application/json', 'x-request-id': 'vertex-token-fail-1' },
    body: JSON.stringify({ model: 'vgem', messages: [{ role: 'user', content: 'hi' }] }),
  });
  const openaiText = await openai.body.text();
  assert.equal(openai.statusCode, 502);
  const err = JSON.parse(openaiText) as { error: { message: string; type: string; code: string } };
  assert.equal(err.error.code, 'AE_UPSTREAM_UNAVAILABLE');
  assert.equal(err.error.type, 'api_error');

  const anthropic = await request(`${gw.url()}/v1/messages`, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'vclaude', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] }),
  });
  const anthropicText = await anthropic.body.text();
  assert.equal(anthropic.statusCode, 502);
  assert.equal((JSON.parse(anthropicText) as { type: string }).type, 'error');

  // Nothing reached the model endpoints without a token.
  assert.equal(fake.received.length, 0, 'no model call without a token');
  assert.ok(fake.tokenRequests.length >= 2, `both fronts asked for a token (${fake.tokenRequests.length} requests)`);
  await new Promise((r) => setTimeout(r, 50));
  const keyLine = fake.privateKey.split('\n')[1]!;
  const assertion = fake.tokenRequests[0]!.form.assertion!;
  const signature = assertion.split('.')[2]!;
  for (const text of [openaiText, anthropicText, gw.logText()]) {
    for (const secret of [keyLine, assertion, signature.slice(0, 24), CLIENT_SECRET, REFRESH_TOKEN]) {
      assert.ok(!text.includes(secret), `a secret leaked into: ${text.slice(0, 2000)}`);
    }
  }
  // The access log names the failure by its code.
  assert.match(gw.logText(), /"error":"AE_UPSTREAM_UNAVAILABLE"/);

  // Once the endpoint recovers, calls work again.
  fake.tokenFailure = null;
  const ok = await request(`${gw.url()}/v1/chat/completions`, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'vgem', messages: [{ role: 'user', content: 'hi' }] }),
  });
  assert.equal(ok.statusCode, 200);
  await ok.body.text();
});
