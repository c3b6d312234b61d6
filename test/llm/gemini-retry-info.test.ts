// A Gemini 429 says how long to wait in its body (google.rpc.RetryInfo retryDelay), not in a
// retry-after header. The client gets it as retry-after (seconds, rounded up) unless the
// upstream sent its own header, on both fronts; the retry logic waits for it like for
// retry-after, and does not retry when it asks for more than maxRetryWait.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import Anthropic from '@anthropic-ai/sdk';
import { accessLine } from '../http/support.js';
import { CLIENT_KEY, setupGemini, type GeminiHandler } from './gemini-support.js';

/** Gemini's quota answer, with RetryInfo among its details as the API sends it. */
function quotaExceeded(retryDelay: string, headers: Record<string, string> = {}): GeminiHandler {
  return (_req, res) => {
    res.writeHead(429, { 'content-type': 'application/json; charset=UTF-8', ...headers });
    res.end(JSON.stringify({
      error: {
        code: 429,
        message: 'You exceeded your current quota, please check your plan and billing details.',
        status: 'RESOURCE_EXHAUSTED',
        details: [
          { '@type': 'type.googleapis.com/google.rpc.QuotaFailure', violations: [{ quotaMetric: 'generativelanguage.googleapis.com/generate_content_free_tier_requests', quotaId: 'GenerateRequestsPerMinutePerProjectPerModel-FreeTier' }] },
          { '@type': 'type.googleapis.com/google.rpc.Help', links: [{ description: 'Learn more about Gemini API quotas', url: 'https://ai.google.dev/gemini-api/docs/rate-limits' }] },
          { '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay },
        ],
      },
    }));
  };
}

const OK = { candidates: [{ content: { role: 'model', parts: [{ text: 'after the wait' }] }, finishReason: 'STOP', index: 0 }], responseId: 'r' };

const fail = (p: Promise<unknown>): Promise<unknown> => p.then(() => null, (e: unknown) => e);

test('gemini: RetryInfo retryDelay becomes retry-after (rounded up) when the upstream sent none', { timeout: 30_000 }, async (t) => {
  const { fake, gw, client } = await setupGemini(t);
  const ask = (stream = false) => fail(client.chat.completions.create({ model: 'gem', messages: [{ role: 'user', content: 'hi' }], stream }));

  fake.on(quotaExceeded('30s'));
  const e30 = await ask();
  assert.ok(e30 instanceof OpenAI.RateLimitError, String(e30));
  assert.equal(e30.headers.get('retry-after'), '30');
  assert.match(e30.message, /exceeded your current quota/);

  fake.on(quotaExceeded('1.5s'));
  const e15 = await ask(true);
  assert.ok(e15 instanceof OpenAI.RateLimitError, String(e15));
  assert.equal(e15.headers.get('retry-after'), '2');

  // The upstream's own header wins.
  fake.on(quotaExceeded('30s', { 'retry-after': '17' }));
  const own = await ask();
  assert.ok(own instanceof OpenAI.RateLimitError, String(own));
  assert.equal(own.headers.get('retry-after'), '17');

  // No RetryInfo: no retry-after made up.
  fake.on((_req, res) => {
    res.writeHead(429, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: { code: 429, message: 'Resource has been exhausted (e.g. check quota).', status: 'RESOURCE_EXHAUSTED' } }));
  });
  const none = await ask();
  assert.ok(none instanceof OpenAI.RateLimitError, String(none));
  assert.equal(none.headers.get('retry-after'), null);

  // The Anthropic front (via chat) passes it on too.
  fake.on(quotaExceeded('30s'));
  const anthropic = new Anthropic({ baseURL: gw.url(), apiKey: CLIENT_KEY, maxRetries: 0, timeout: 10_000 });
  const a = await fail(anthropic.messages.create({ model: 'gem', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] }));
  assert.ok(a instanceof Anthropic.RateLimitError, String(a));
  assert.equal(a.headers.get('retry-after'), '30');
});

test('gemini: the retry waits for RetryInfo\'s delay, as for retry-after', { timeout: 30_000 }, async (t) => {
  const { fake, client } = await setupGemini(t, '          retries: 1\n          retryBackoff: 1ms\n');
  const arrivals: number[] = [];
  let n = 0;
  fake.on((req, res) => {
    arrivals.push(performance.now());
    if (n++ === 0) return quotaExceeded('0.4s')(req, res);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(OK));
  });
  const r = await client.chat.completions.create({ model: 'gem', messages: [{ role: 'user', content: 'hi' }] });
  assert.equal(r.choices[0]!.message.content, 'after the wait');
  assert.equal(arrivals.length, 2);
  assert.ok(arrivals[1]! - arrivals[0]! >= 395, `waited ${arrivals[1]! - arrivals[0]!} ms for retryDelay 0.4s`);
});

test('gemini: a RetryInfo delay beyond maxRetryWait is not retried: the 429 goes to the client', { timeout: 30_000 }, async (t) => {
  const { fake, gw, client } = await setupGemini(t, '          retries: 3\n          maxRetryWait: 2s\n');
  fake.on(quotaExceeded('30s'));
  const e = await fail(client.chat.completions.create({ model: 'gem', messages: [{ role: 'user', content: 'hi' }] }, { headers: { 'x-request-id': 'gemini-retry-info-long' } }));
  assert.ok(e instanceof OpenAI.RateLimitError, String(e));
  assert.equal(e.headers.get('retry-after'), '30');
  assert.equal(fake.received.length, 1);
  const line = await accessLine(gw, 'gemini-retry-info-long');
  assert.equal(line.status, 429);
  assert.equal(line.llm.attempts, 1);
});
