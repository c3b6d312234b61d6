// SigV4 with credentials from config (with a session token) or from the standard AWS env
// vars; the fake recomputes every signature. The client's own Authorization never reaches
// Bedrock, and a wrong secret is a failed call, not a silent success.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AWS_CREDS, CLIENT_KEY, REGION, setupBedrock } from './bedrock-support.js';

test('bedrock: config credentials with session token; client key never forwarded', { timeout: 30_000 }, async (t) => {
  const creds = { ...AWS_CREDS, sessionToken: 'session-token-from-sts-0123456789' };
  const { fake, client } = await setupBedrock(t, {
    creds,
    extra: `          region: ${REGION}
          aws: { accessKeyId: ${creds.accessKeyId}, secretAccessKey: ${creds.secretAccessKey}, sessionToken: ${creds.sessionToken} }
`,
  });
  await client.chat.completions.create({ model: 'claude', messages: [{ role: 'user', content: 'hi' }] }, { headers: { 'x-api-key': CLIENT_KEY, 'x-amz-security-token': 'client-token' } });
  const req = fake.received[0]!;
  assert.equal(req.signatureProblem, null);
  assert.equal(req.headers['x-amz-security-token'], creds.sessionToken);
  assert.match(String(req.headers.authorization), new RegExp(`^AWS4-HMAC-SHA256 Credential=${creds.accessKeyId}/\\d{8}/${REGION}/bedrock/aws4_request, `));
  assert.equal(req.headers['x-api-key'], undefined);
  assert.ok(!JSON.stringify(req.headers).includes(CLIENT_KEY));
  assert.ok(!JSON.stringify(req.headers).includes(creds.secretAccessKey));
});

test('bedrock: credentials and region from the environment', { timeout: 30_000 }, async (t) => {
  const creds = { accessKeyId: 'ASIAENVKEY0000000001', secretAccessKey: 'env-secret-key-0123456789abcdef', sessionToken: 'env-session-token-0123456789' };
  const { fake, client } = await setupBedrock(t, {
    creds, extra: '',
    env: { AWS_ACCESS_KEY_ID: creds.accessKeyId, AWS_SECRET_ACCESS_KEY: creds.secretAccessKey, AWS_SESSION_TOKEN: creds.sessionToken, AWS_DEFAULT_REGION: REGION },
  });
  const stream = await client.chat.completions.create({ model: 'claude', messages: [{ role: 'user', content: 'hi' }], stream: true });
  let text = '';
  for await (const c of stream) text += c.choices[0]?.delta.content ?? '';
  assert.equal(text, 'Hello wörld 👋');
  assert.equal(fake.received[0]!.signatureProblem, null);
  assert.ok(!JSON.stringify(fake.received[0]!.headers).includes(CLIENT_KEY));
});

test('bedrock: a wrong secret fails the call (signature checked upstream → 502)', { timeout: 30_000 }, async (t) => {
  const { fake, client } = await setupBedrock(t, { creds: { ...AWS_CREDS, secretAccessKey: 'a-different-secret-0123456789' } });
  await assert.rejects(client.chat.completions.create({ model: 'claude', messages: [{ role: 'user', content: 'hi' }] }), (err: any) => err.status === 502);
  assert.equal(fake.received[0]!.signatureProblem, 'signature mismatch');
});
