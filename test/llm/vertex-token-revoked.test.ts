// Vertex access tokens that stop working: a 401 from Vertex (the token was revoked) drops the
// cached token, so the next call fetches a fresh one instead of failing until the old one
// expires; and a token endpoint that refuses the grant has its reason (OAuth error and
// error_description) logged for the operator, while the client only gets the error code.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import Anthropic from '@anthropic-ai/sdk';
import { request } from 'undici';
import { accessLine } from '../http/support.js';
import { CLAUDE_MODEL, GEMINI_MODEL, setupVertex, vertexPath } from './vertex-support.js';

test('vertex: a 401 drops the cached token; the next call fetches a new one', { timeout: 30_000 }, async (t) => {
  const { fake, client, anthropic } = await setupVertex(t);
  const ask = () => client.chat.completions.create({ model: 'vgem', messages: [{ role: 'user', content: 'hi' }] });
  await ask();
  await ask();
  assert.equal(fake.tokenRequests.length, 1, 'the token is cached');

  // Vertex no longer takes the token the gateway holds.
  fake.issued[0] = 'revoked';
  const refused = await ask().then(() => null, (e: unknown) => e);
  assert.ok(refused instanceof OpenAI.APIError, String(refused));
  assert.equal(refused.status, 502);

  const again = await ask();
  assert.equal(again.choices[0]!.message.content, 'Hello from Vertex');
  assert.equal(fake.tokenRequests.length, 2, 'a new token was fetched after the 401');
  assert.equal(fake.received.at(-1)!.headers.authorization, `Bearer ${fake.issued[1]}`);
  assert.equal(fake.received.at(-1)!.url, vertexPath('google', GEMINI_MODEL, 'generateContent'));

  // The same on the Anthropic front's pass-through to Claude (same credentials, same cache).
  fake.issued[1] = 'revoked';
  const claudeRefused = await anthropic.messages.create({ model: 'vclaude', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] }).then(() => null, (e: unknown) => e);
  assert.ok(claudeRefused instanceof Anthropic.APIError, String(claudeRefused));
  assert.equal(claudeRefused.status, 502);
  const claude = await anthropic.messages.create({ model: 'vclaude', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] });
  assert.deepEqual(claude.content.map((b) => (b.type === 'text' ? b.text : b.type)), ['Hello from Claude on Vertex']);
  assert.equal(fake.tokenRequests.length, 3);
  assert.equal(fake.received.at(-1)!.url, vertexPath('anthropic', CLAUDE_MODEL, 'rawPredict'));
  assert.deepEqual(fake.problems, []);
});

test('vertex: a refused token grant logs the OAuth reason; the client gets only the code', { timeout: 30_000 }, async (t) => {
  const { fake, gw } = await setupVertex(t);
  fake.tokenFailure = 400;
  const res = await request(`${gw.url()}/v1/chat/completions`, {
    method: 'POST', headers: { 'content-type': 'application/json', 'x-request-id': 'vertex-grant-refused' },
    body: JSON.stringify({ model: 'vgem', messages: [{ role: 'user', content: 'hi' }] }),
  });
  const body = await res.body.text();
  assert.equal(res.statusCode, 502);
  assert.equal((JSON.parse(body) as { error: { code: string } }).error.code, 'AE_UPSTREAM_UNAVAILABLE');
  assert.ok(!body.includes('invalid_grant') && !body.includes('Invalid JWT'), body);

  const access = await accessLine(gw, 'vertex-grant-refused');
  assert.equal(access.error, 'AE_UPSTREAM_UNAVAILABLE');
  const line = gw.logs.find((l) => l.requestId === 'vertex-grant-refused' && l.msg === 'upstream credentials could not be obtained');
  assert.ok(line, `no credentials log line in: ${gw.logText()}`);
  assert.equal(line.level, 'warn');
  assert.equal(line.backend, 'models');
  assert.equal(line.code, 'AE_UPSTREAM_UNAVAILABLE');
  assert.match(line.detail, /answered 400 \(invalid_grant: Invalid JWT Signature\./);
  // The fake echoes the signed assertion in its description: it is scrubbed.
  const assertion = fake.tokenRequests[0]!.form.assertion!;
  assert.ok(!gw.logText().includes(assertion.split('.')[2]!.slice(0, 24)), 'the assertion signature leaked into the log');
  assert.ok(!gw.logText().includes(fake.privateKey.split('\n')[1]!));
});
