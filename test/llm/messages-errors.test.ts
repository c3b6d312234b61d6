// Errors on the Anthropic front are in Anthropic shape: an unknown model is the SDK's
// NotFoundError, a malformed body and a field OpenAI cannot express are 400
// invalid_request_error naming the problem, and an upstream that dies mid-stream ends
// the stream with one `event: error` the SDK throws on.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import Anthropic from '@anthropic-ai/sdk';
import { request } from 'undici';
import { setupMessages } from './messages-support.js';

test('unknown model → NotFoundError', { timeout: 30_000 }, async (t) => {
  const { fake, client } = await setupMessages(t);
  const err = await client.messages.create({ model: 'claude-nope', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] }).then(() => null, (e: unknown) => e);
  assert.ok(err instanceof Anthropic.NotFoundError, String(err));
  assert.equal((err.error as any).error.type, 'not_found_error');
  assert.match(err.message, /claude-nope/);
  assert.equal(fake.received.length, 0);
});

test('malformed body → 400 in Anthropic shape', { timeout: 30_000 }, async (t) => {
  const { fake, gw } = await setupMessages(t);
  for (const path of ['/v1/messages', '/v1/messages/count_tokens']) {
    const res = await request(`${gw.url()}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': 'k' }, body: '{"model": "fast", "messages": [' });
    const json = await res.body.json() as any;
    assert.equal(res.statusCode, 400);
    assert.equal(json.type, 'error');
    assert.equal(json.error.type, 'invalid_request_error');
    assert.equal(typeof json.error.message, 'string');
  }
  assert.equal(fake.received.length, 0);
});

test('fields OpenAI cannot express → 400 naming them', { timeout: 30_000 }, async (t) => {
  const { fake, client } = await setupMessages(t);
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ thinking: { type: 'enabled', budget_tokens: 2000 } }, /"thinking"/],
    [{ top_k: 5 }, /"top_k"/],
    [{ messages: [{ role: 'user', content: [{ type: 'document', source: { type: 'text', media_type: 'text/plain', data: 'x' } }] }] }, /messages\[0\]\.content\[0\] \(document block\)/],
    [{ tools: [{ type: 'web_search_20250305', name: 'web_search' }] }, /tools\[0\]/],
  ];
  for (const [extra, re] of cases) {
    const err = await client.messages.create({ model: 'fast', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }], ...extra } as never).then(() => null, (e: unknown) => e);
    assert.ok(err instanceof Anthropic.BadRequestError, String(err));
    assert.match((err.error as any).error.message, re);
  }
  assert.equal(fake.received.length, 0);
});

test('upstream dies mid-stream → the SDK stream throws', { timeout: 30_000 }, async (t) => {
  const { fake, client } = await setupMessages(t);
  fake.on('/v1/chat/completions', (req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.write(`data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', created: 1, model: req.body.model, choices: [{ index: 0, delta: { role: 'assistant', content: 'partial' }, finish_reason: null }] })}\n\n`);
    res.write('data: {"id":"c","obj', () => res.socket?.destroy());
  });
  const stream = client.messages.stream({ model: 'fast', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] });
  const deltas: string[] = [];
  stream.on('text', (d) => deltas.push(d));
  const err = await stream.finalMessage().then(() => null, (e: unknown) => e);
  assert.deepEqual(deltas, ['partial']);
  assert.ok(err instanceof Anthropic.APIError, String(err));
  assert.match(err.message, /ended before it was complete/);
});

test('upstream 429 keeps its status and retry-after in Anthropic shape', { timeout: 30_000 }, async (t) => {
  const { fake, client } = await setupMessages(t);
  fake.on('/v1/chat/completions', (_req, res) => {
    res.writeHead(429, { 'content-type': 'application/json', 'retry-after': '7' });
    res.end(JSON.stringify({ error: { message: 'Rate limit reached', type: 'requests', param: null, code: 'rate_limit_exceeded' } }));
  });
  const err = await client.messages.create({ model: 'fast', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] }).then(() => null, (e: unknown) => e);
  assert.ok(err instanceof Anthropic.RateLimitError, String(err));
  assert.equal((err.error as any).error.type, 'rate_limit_error');
  assert.match(err.message, /Rate limit reached/);
  assert.equal(err.headers?.get('retry-after'), '7');
});

test('an OpenAI error event mid-stream becomes one Anthropic error event', { timeout: 30_000 }, async (t) => {
  const { fake, client } = await setupMessages(t);
  fake.on('/v1/chat/completions', (req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.write(`data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', created: 1, model: req.body.model, choices: [{ index: 0, delta: { content: 'partial' }, finish_reason: null }] })}\n\n`);
    res.end(`data: ${JSON.stringify({ error: { message: 'server overloaded', type: 'server_error' } })}\n\n`);
  });
  const stream = client.messages.stream({ model: 'fast', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] });
  const deltas: string[] = [];
  stream.on('text', (d) => deltas.push(d));
  const err = await stream.finalMessage().then(() => null, (e: unknown) => e);
  assert.deepEqual(deltas, ['partial']);
  assert.ok(err instanceof Anthropic.APIError, String(err));
  assert.match(err.message, /api_error/);
});
