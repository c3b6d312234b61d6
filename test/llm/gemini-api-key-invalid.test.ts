// Gemini answers a bad API key with a 400 INVALID_ARGUMENT whose google.rpc.ErrorInfo says
// reason API_KEY_INVALID. That key is the gateway's, not the caller's: every front answers
// 502 AE_UPSTREAM_ERROR in its own shape, and Google's message (which may quote part of the
// key) reaches neither the client nor the access log. A 401 is a 502 too; an ordinary 400
// is still the caller's.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import Anthropic from '@anthropic-ai/sdk';
import { accessLine } from '../http/support.js';
import { CLIENT_KEY, GEMINI_KEY, setupGemini, type GeminiHandler } from './gemini-support.js';

const GOOGLE_MESSAGE = `API key not valid. Please pass a valid API key. (${GEMINI_KEY.slice(0, 12)})`;

const keyInvalid: GeminiHandler = (_req, res) => {
  res.writeHead(400, { 'content-type': 'application/json; charset=UTF-8' });
  res.end(JSON.stringify({
    error: {
      code: 400,
      message: GOOGLE_MESSAGE,
      status: 'INVALID_ARGUMENT',
      details: [
        { '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'API_KEY_INVALID', domain: 'googleapis.com', metadata: { service: 'generativelanguage.googleapis.com' } },
        { '@type': 'type.googleapis.com/google.rpc.LocalizedMessage', locale: 'en-US', message: GOOGLE_MESSAGE },
      ],
    },
  }));
};

test('gemini: 400 API_KEY_INVALID is a 502 on every front, Google\'s message never echoed', { timeout: 30_000 }, async (t) => {
  const { fake, gw, client } = await setupGemini(t);
  fake.on(keyInvalid);
  const fail = (p: Promise<unknown>): Promise<unknown> => p.then(() => null, (e: unknown) => e);

  const chat = await fail(client.chat.completions.create({ model: 'gem', messages: [{ role: 'user', content: 'hi' }] }, { headers: { 'x-request-id': 'gemini-key-invalid' } }));
  assert.ok(chat instanceof OpenAI.APIError, String(chat));
  assert.equal(chat.status, 502);
  assert.equal(chat.code, 'AE_UPSTREAM_ERROR');
  assert.ok(!chat.message.includes('API key not valid'), chat.message);

  const stream = await fail(client.chat.completions.create({ model: 'gem', messages: [{ role: 'user', content: 'hi' }], stream: true }));
  assert.ok(stream instanceof OpenAI.APIError, String(stream));
  assert.equal(stream.status, 502);

  const responses = await fail(client.responses.create({ model: 'gem', input: 'hi' }));
  assert.ok(responses instanceof OpenAI.APIError, String(responses));
  assert.equal(responses.status, 502);
  assert.equal(responses.code, 'AE_UPSTREAM_ERROR');

  const anthropic = new Anthropic({ baseURL: gw.url(), apiKey: CLIENT_KEY, maxRetries: 0, timeout: 10_000 });
  const messages = await fail(anthropic.messages.create({ model: 'gem', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] }));
  assert.ok(messages instanceof Anthropic.APIError, String(messages));
  assert.equal(messages.status, 502);
  assert.equal((messages.error as { type: string }).type, 'error');
  assert.ok(!messages.message.includes('API key not valid'), messages.message);

  const line = await accessLine(gw, 'gemini-key-invalid');
  assert.equal(line.status, 502);
  assert.equal(line.error, 'AE_UPSTREAM_ERROR');
  assert.ok(!gw.logText().includes('API key not valid'));
  assert.ok(!gw.logText().includes(GEMINI_KEY.slice(0, 12)));
});

test('gemini: 401 is a 502, an ordinary 400 stays the caller\'s', { timeout: 30_000 }, async (t) => {
  const { fake, client } = await setupGemini(t);
  const answer = (status: number, error: Record<string, unknown>): void => fake.on((_req, res) => {
    res.writeHead(status, { 'content-type': 'application/json; charset=UTF-8' });
    res.end(JSON.stringify({ error: { code: status, ...error } }));
  });
  const ask = () => client.chat.completions.create({ model: 'gem', messages: [{ role: 'user', content: 'hi' }] }).then(() => null, (e: unknown) => e);

  answer(401, { message: 'Request had invalid authentication credentials.', status: 'UNAUTHENTICATED' });
  const unauthorized = await ask();
  assert.ok(unauthorized instanceof OpenAI.APIError, String(unauthorized));
  assert.equal(unauthorized.status, 502);
  assert.ok(!unauthorized.message.includes('invalid authentication'));

  answer(400, {
    message: 'Please use a valid role: user, model.', status: 'INVALID_ARGUMENT',
    details: [{ '@type': 'type.googleapis.com/google.rpc.BadRequest', fieldViolations: [{ field: 'contents[0].role' }] }],
  });
  const bad = await ask();
  assert.ok(bad instanceof OpenAI.BadRequestError, String(bad));
  assert.match(bad.message, /valid role/);
});
