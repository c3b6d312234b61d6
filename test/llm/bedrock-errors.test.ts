// Bedrock HTTP errors ({"message"} with x-amzn-errortype) in OpenAI shape: 400 and 429 keep
// their status (429 with retry-after), 403 becomes a 502; nothing secret in the body.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AWS_CREDS, setupBedrock } from './bedrock-support.js';

test('bedrock: upstream errors re-shaped', { timeout: 30_000 }, async (t) => {
  const { fake, gw } = await setupBedrock(t);
  let answer = { status: 429, type: 'ThrottlingException', message: 'Too many requests, please wait before trying again.', headers: { 'retry-after': '7' } as Record<string, string> };
  fake.on((_req, res) => {
    res.writeHead(answer.status, { 'content-type': 'application/json', 'x-amzn-errortype': `${answer.type}:http://internal.amazon.com/coral/com.amazon.bedrock/`, ...answer.headers });
    res.end(JSON.stringify({ message: answer.message }));
  });
  const call = () => fetch(`${gw.url()}/v1/chat/completions`, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'claude', messages: [{ role: 'user', content: 'hi' }] }),
  });
  let res = await call();
  assert.equal(res.status, 429);
  assert.equal(res.headers.get('retry-after'), '7');
  assert.deepEqual(await res.json(), { error: { message: answer.message, type: 'ThrottlingException', param: null, code: null } });

  answer = { status: 400, type: 'ValidationException', message: 'The model returned the following errors: messages: blank text', headers: {} };
  res = await call();
  assert.equal(res.status, 400);
  assert.equal(((await res.json()) as any).error.type, 'ValidationException');

  answer = { status: 403, type: 'AccessDeniedException', message: `User ${AWS_CREDS.accessKeyId} is not authorized`, headers: {} };
  res = await call();
  assert.equal(res.status, 502);
  const text = await res.text();
  assert.ok(!text.includes(AWS_CREDS.accessKeyId));
  assert.ok(!text.includes(fake.url));
});
