// Secret leakage (RELIABILITY 27) through upstream error answers: an upstream 400 or 429
// whose message quotes the model's key (raw, URL-encoded, JSON-escaped, base64, base64url,
// base64 of "Bearer <key>"), or any other configured secret (a configured header value, a
// Bedrock session token, the admin token), is re-shaped for the client with none of them
// left, through every front (OpenAI chat, Responses, Anthropic messages) and for OpenAI-API
// providers (passed through) and translated ones (anthropic, gemini, bedrock). A message
// cut to its maximum length is cut after scrubbing, so no prefix of a secret survives the
// cut; and an in-stream error event of a translated provider is scrubbed the same way.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import OpenAI from 'openai';
import Anthropic from '@anthropic-ai/sdk';
import { secretForms } from '../../src/config/index.js';
import { startGateway } from '../helpers/gateway.js';

const MODEL_KEY = 'sk-model-key-0123456789abcdefABCDEF';
const ORG_HEADER = 'org"secret\\value-0123456789';
const SESSION = 'FwoGZXIvYXdzEJr-session-token-0123456789';
const AWS_SECRET = 'wJalrXUtnFEMI-K7MDENG-bPxRfiCYEXAMPLEKEY';
const ADMIN = 'admin-token-0123456789abcdef';
const SECRETS = [MODEL_KEY, ORG_HEADER, SESSION, AWS_SECRET, ADMIN];

/** How an upstream might echo a secret: every form the log scrubber knows, and base64 inside a longer value. */
function echoes(s: string): string[] {
  return [
    s, encodeURIComponent(s), JSON.stringify(s).slice(1, -1),
    Buffer.from(s).toString('base64'), Buffer.from(s).toString('base64url'),
    Buffer.from(`Bearer ${s}`).toString('base64'),
  ];
}
const MESSAGE = `refused: ${SECRETS.flatMap(echoes).join(' ')}`;

/** What must not be in anything the client gets: every form of every secret. */
function leaked(text: string): string[] {
  return SECRETS.flatMap((s) => secretForms(s)).filter((f) => text.includes(f));
}

interface Fake { url: string; status: number; message: string; close(): Promise<void> }

/** One upstream for every provider: an error answer in the shape of whichever API was called. */
async function startFake(): Promise<Fake> {
  const fake = { url: '', status: 400, message: MESSAGE, close: async () => {} };
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const url = req.url ?? '';
      const json = (status: number, body: unknown, headers: Record<string, string> = {}) => {
        res.writeHead(status, { 'content-type': 'application/json', ...headers });
        res.end(JSON.stringify(body));
      };
      const { status, message } = fake;
      if (url.includes('/messages')) json(status, { type: 'error', error: { type: 'invalid_request_error', message } });
      else if (url.includes(':generateContent')) json(status, { error: { code: status, message, status: status === 429 ? 'RESOURCE_EXHAUSTED' : 'INVALID_ARGUMENT' } });
      else if (url.startsWith('/model/')) json(status, { message }, { 'x-amzn-errortype': status === 429 ? 'ThrottlingException:http://internal.amazon.com/' : 'ValidationException:http://internal.amazon.com/' });
      else json(status, { error: { message, type: 'invalid_request_error', param: message, code: 'bad_request' } });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  fake.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  fake.close = () => new Promise<void>((r) => { server.close(() => r()); server.closeAllConnections(); });
  return fake;
}

function config(fake: Fake): string {
  const headers = `headers: { x-org: '${ORG_HEADER}' }`;
  return `gateway:
  admin: { host: 127.0.0.1, port: 0, token: ${ADMIN} }
listeners:
  - name: edge
    port: 0
    routes:
      - { name: llm, match: { path: /v1 }, backend: models }
backends:
  models:
    llm:
      models:
        - { name: oa, provider: openai, apiKey: ${MODEL_KEY}, baseUrl: ${fake.url}/v1, ${headers} }
        - { name: an, provider: anthropic, apiKey: ${MODEL_KEY}, baseUrl: ${fake.url}, ${headers} }
        - { name: ge, provider: gemini, apiKey: ${MODEL_KEY}, baseUrl: ${fake.url}, ${headers} }
        - name: br
          provider: bedrock
          model: anthropic.claude-3-haiku
          region: us-east-1
          baseUrl: ${fake.url}
          aws: { accessKeyId: AKIAEXAMPLE123, secretAccessKey: ${AWS_SECRET}, sessionToken: ${SESSION} }
`;
}

/** A fetch that keeps a copy of every body the client received. */
function recordingFetch(bodies: string[]): typeof fetch {
  return async (input, init) => {
    const r = await fetch(input, init);
    bodies.push(await r.clone().text());
    return r;
  };
}

test('upstream 400 and 429 error bodies reach the client with no configured secret, every front and provider', { timeout: 60_000 }, async (t) => {
  const fake = await startFake();
  const gw = await startGateway(config(fake));
  t.after(async () => { await gw.close(); await fake.close(); });
  const bodies: string[] = [];
  const openai = new OpenAI({ baseURL: `${gw.url()}/v1`, apiKey: 'client-key', maxRetries: 0, fetch: recordingFetch(bodies) });
  const anthropic = new Anthropic({ baseURL: gw.url(), apiKey: 'client-key', maxRetries: 0, fetch: recordingFetch(bodies) });
  const calls: [string, (model: string) => Promise<unknown>][] = [
    ['chat', (model) => openai.chat.completions.create({ model, messages: [{ role: 'user', content: 'hi' }] })],
    ['responses', (model) => openai.responses.create({ model, input: 'hi' })],
    ['messages', (model) => anthropic.messages.create({ model, max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] })],
  ];
  for (const status of [400, 429]) {
    fake.status = status;
    for (const [front, call] of calls) {
      for (const model of ['oa', 'an', 'ge', 'br']) {
        const err = await call(model).then(() => null, (e: unknown) => e);
        const where = `${front} → ${model}, upstream ${status}`;
        assert.ok(err instanceof OpenAI.APIError || err instanceof Anthropic.APIError, `${where}: ${String(err)}`);
        assert.equal(err.status, status, where);
        const body = bodies.at(-1)!;
        assert.deepEqual(leaked(body), [], `${where}: ${body}`);
        assert.deepEqual(leaked(JSON.stringify(JSON.parse(body))), [], where);
        assert.match(body, /refused: /, `${where}: the provider's message is still passed on`);
      }
    }
  }
});

test('a long message is cut after it is scrubbed: no prefix of a secret survives the cut', { timeout: 30_000 }, async (t) => {
  const fake = await startFake();
  const gw = await startGateway(config(fake));
  t.after(async () => { await gw.close(); await fake.close(); });
  const bodies: string[] = [];
  const openai = new OpenAI({ baseURL: `${gw.url()}/v1`, apiKey: 'client-key', maxRetries: 0, fetch: recordingFetch(bodies) });
  fake.message = `${'x'.repeat(1990)}${MODEL_KEY}`;
  for (const model of ['oa', 'an', 'ge', 'br']) {
    await openai.chat.completions.create({ model, messages: [{ role: 'user', content: 'hi' }] }).then(() => assert.fail('no error'), () => undefined);
    assert.ok(!bodies.at(-1)!.includes(MODEL_KEY.slice(0, 10)), `${model}: ${bodies.at(-1)!.slice(-80)}`);
  }
});

test('an error event inside a translated stream is scrubbed too', { timeout: 30_000 }, async (t) => {
  const server = http.createServer((req, res) => {
    req.resume();
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.write(`event: message_start\ndata: ${JSON.stringify({ type: 'message_start', message: { id: 'm', type: 'message', role: 'assistant', content: [], model: 'an', usage: { input_tokens: 1, output_tokens: 1 } } })}\n\n`);
    res.end(`event: error\ndata: ${JSON.stringify({ type: 'error', error: { type: 'overloaded_error', message: MESSAGE } })}\n\n`);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const gw = await startGateway(config({ url, status: 200, message: MESSAGE, close: async () => {} }));
  t.after(async () => { await gw.close(); await new Promise<void>((r) => { server.close(() => r()); server.closeAllConnections(); }); });
  const r = await fetch(`${gw.url()}/v1/chat/completions`, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'an', stream: true, messages: [{ role: 'user', content: 'hi' }] }),
  });
  const text = await r.text();
  assert.match(text, /"code":"AE_UPSTREAM_ERROR"/);
  assert.match(text, /refused: /);
  assert.deepEqual(leaked(text), []);
});
