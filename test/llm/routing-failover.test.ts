// A failover model moves on to its next target on a connection failure, a 5xx or a 429, as
// long as nothing reached the client; a 400 is the caller's and is not failed over; when
// every target fails the last answer is what the client gets.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { accessLine } from '../http/support.js';
import { calls, failWith, setupRouting } from './routing-support.js';
import { BACKEND_KEY } from './support.js';

const SMART = `        - name: smart
          failover: [primary, backup]
`;

test('failover: 503 from the first target → the second answers (JSON), recorded in the access log', { timeout: 30_000 }, async (t) => {
  const { fakes, gw, client } = await setupRouting(t, ['primary', 'backup'], SMART);
  fakes.primary!.on('/v1/chat/completions', failWith(503));
  const { data, response } = await client.chat.completions.create({ model: 'smart', messages: [{ role: 'user', content: 'hi' }] }, { headers: { 'x-request-id': 'fo-1' } }).withResponse();
  assert.equal(data.choices[0]!.message.content, 'Hello world');
  assert.equal(response.headers.get('x-agentedge-model'), 'backup');
  assert.equal(calls(fakes.primary!), 1);
  assert.equal(calls(fakes.backup!), 1);
  const log = await accessLine(gw, 'fo-1');
  assert.equal(log.status, 200);
  assert.equal(log.llm.model, 'smart');
  assert.equal(log.llm.target, 'backup');
  assert.equal(log.llm.attempts, 2);
});

test('failover: 429 before the stream started → the stream comes from the second target', { timeout: 30_000 }, async (t) => {
  const { fakes, client } = await setupRouting(t, ['primary', 'backup'], SMART);
  fakes.primary!.on('/v1/chat/completions', failWith(429, { 'retry-after': '30' }));
  const stream = await client.chat.completions.create({ model: 'smart', stream: true, messages: [{ role: 'user', content: 'hi' }] });
  let text = '';
  for await (const c of stream) text += c.choices[0]?.delta.content ?? '';
  assert.equal(text, 'Hello world');
  assert.equal(calls(fakes.primary!), 1);
  assert.equal(calls(fakes.backup!), 1);
});

test('failover: a refused connection moves on too', { timeout: 30_000 }, async (t) => {
  const { fakes, client } = await setupRouting(t, ['primary', 'backup'], SMART);
  await fakes.primary!.close();
  const r = await client.chat.completions.create({ model: 'smart', messages: [{ role: 'user', content: 'hi' }] });
  assert.equal(r.choices[0]!.message.content, 'Hello world');
  assert.equal(calls(fakes.backup!), 1);
});

test('failover: a 400 is the caller\'s: passed on, not failed over', { timeout: 30_000 }, async (t) => {
  const { fakes, client } = await setupRouting(t, ['primary', 'backup'], SMART);
  fakes.primary!.on('/v1/chat/completions', failWith(400));
  const err = await client.chat.completions.create({ model: 'smart', messages: [{ role: 'user', content: 'hi' }] }).then(() => null, (e: unknown) => e);
  assert.ok(err instanceof OpenAI.BadRequestError, String(err));
  assert.equal(calls(fakes.backup!), 0);
});

test('failover: every target failing → the last answer (429 and its retry-after) reaches the client', { timeout: 30_000 }, async (t) => {
  const { fakes, client } = await setupRouting(t, ['primary', 'backup'], SMART);
  fakes.primary!.on('/v1/chat/completions', failWith(503));
  fakes.backup!.on('/v1/chat/completions', failWith(429, { 'retry-after': '12' }));
  const err = await client.chat.completions.create({ model: 'smart', messages: [{ role: 'user', content: 'hi' }] }).then(() => null, (e: unknown) => e);
  assert.ok(err instanceof OpenAI.RateLimitError, String(err));
  assert.equal(err.headers.get('retry-after'), '12');
  assert.equal(err.headers.get('x-agentedge-model'), 'backup');
  assert.ok(!JSON.stringify(err.error).includes(BACKEND_KEY));
});

test('failover: every target down → 502 in OpenAI shape', { timeout: 30_000 }, async (t) => {
  const { fakes, client } = await setupRouting(t, ['primary', 'backup'], SMART);
  fakes.primary!.on('/v1/chat/completions', failWith(500));
  await fakes.backup!.close();
  const err = await client.chat.completions.create({ model: 'smart', messages: [{ role: 'user', content: 'hi' }] }).then(() => null, (e: unknown) => e);
  assert.ok(err instanceof OpenAI.APIError, String(err));
  assert.ok(err.status === 502 || err.status === 503, `status ${err.status}`);
  assert.equal(typeof (err.error as { code?: unknown }).code, 'string');
});

test('failover: a target that cannot express the request is skipped for one that can', { timeout: 30_000 }, async (t) => {
  // "gem" is a gemini model: embeddings are not served there, so the openai target answers.
  const { fakes, client } = await setupRouting(t, ['backup'], `        - name: gem
          provider: gemini
          model: gemini-2.0-flash
          apiKey: AIzaSy-not-used-0123456789
          baseUrl: http://127.0.0.1:9
        - name: embed
          failover: [gem, backup]
`);
  const r = await client.embeddings.create({ model: 'embed', input: 'hello' });
  assert.equal(r.data.length, 1);
  assert.equal(fakes.backup!.received.length, 1);
});

test('models list shows virtual models; GET models/{virtual} answers', { timeout: 30_000 }, async (t) => {
  const { client } = await setupRouting(t, ['primary', 'backup'], SMART);
  const ids = [];
  for await (const m of client.models.list()) ids.push(m.id);
  assert.deepEqual(ids.sort(), ['backup', 'primary', 'smart']);
  const m = await client.models.retrieve('smart');
  assert.equal(m.id, 'smart');
});
