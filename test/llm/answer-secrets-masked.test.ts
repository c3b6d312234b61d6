// Secret leakage (RELIABILITY 27) through successful answers: an upstream that echoes what
// the call sent it (the model's apiKey, a configured header value, a Vertex access token),
// raw or encoded, in a 200 JSON answer gets it masked with as many `*` before the client
// sees it: answers passed through (OpenAI chat and Responses to openai, Anthropic messages
// to anthropic and to Claude on Vertex) keep their bytes and Content-Length otherwise, even
// when the key is split across two chunks; translated answers (chat to anthropic and
// gemini, Responses to anthropic, messages to openai, chat to Gemini on Vertex) are masked
// as they are rebuilt. The SDKs parse every answer: the JSON stays valid.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import OpenAI from 'openai';
import Anthropic from '@anthropic-ai/sdk';
import { secretForms } from '../../src/config/index.js';
import { clearGoogleTokenCache } from '../../src/llm/providers/google-auth.js';
import { startGateway } from '../helpers/gateway.js';
import { setupVertex } from './vertex-support.js';

const MODEL_KEY = 'sk-model-key-0123456789abcdefABCDEF';
const ORG_HEADER = 'org"secret-value-0123456789';

/** The upstream's words: what it was sent, raw and encoded. */
function echo(secrets: string[]): string {
  return `Hello. ${secrets.map((s) => `raw ${s} b64 ${Buffer.from(s).toString('base64')} bearer ${Buffer.from(`Bearer ${s}`).toString('base64url')} url ${encodeURIComponent(s)}`).join('; ')} Bye.`;
}

function leaked(text: string, secrets: string[]): string[] {
  return secrets.flatMap((s) => secretForms(s)).filter((f) => text.includes(f));
}

/** One upstream for every provider: a 200 answer in the called API's shape, whose text echoes MODEL_KEY and ORG_HEADER. */
async function startFake(): Promise<{ url: string; close(): Promise<void> }> {
  const text = echo([MODEL_KEY, ORG_HEADER]);
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const url = req.url ?? '';
      let body: unknown;
      if (url.includes('/chat/completions')) {
        body = { id: 'chatcmpl-1', object: 'chat.completion', created: 1, model: 'm', choices: [{ index: 0, message: { role: 'assistant', content: text, refusal: null }, logprobs: null, finish_reason: 'stop' }], usage: { prompt_tokens: 3, completion_tokens: 5, total_tokens: 8 } };
      } else if (url.includes('/responses')) {
        body = { id: 'resp_1', object: 'response', created_at: 1, status: 'completed', model: 'm', output: [{ type: 'message', id: 'msg_1', status: 'completed', role: 'assistant', content: [{ type: 'output_text', text, annotations: [] }] }], usage: { input_tokens: 3, output_tokens: 5, total_tokens: 8 } };
      } else if (url.includes('/messages')) {
        body = { id: 'msg_1', type: 'message', role: 'assistant', model: 'm', content: [{ type: 'text', text }], stop_reason: 'end_turn', stop_sequence: null, usage: { input_tokens: 3, output_tokens: 5 } };
      } else {
        body = { candidates: [{ content: { role: 'model', parts: [{ text }] }, finishReason: 'STOP', index: 0 }], usageMetadata: { promptTokenCount: 3, candidatesTokenCount: 5, totalTokenCount: 8 } };
      }
      const bytes = Buffer.from(JSON.stringify(body));
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(bytes.length) });
      // Cut in the middle of the key: the relay must find it across the two chunks.
      const cut = bytes.indexOf(MODEL_KEY) + 10;
      res.write(bytes.subarray(0, cut));
      setImmediate(() => res.end(bytes.subarray(cut)));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((r) => { server.close(() => r()); server.closeAllConnections(); }),
  };
}

/** A fetch that keeps each answer's body and Content-Length. */
function recordingFetch(seen: { body: string; length: string | null }[]): typeof fetch {
  return async (input, init) => {
    const r = await fetch(input, init);
    seen.push({ body: await r.clone().text(), length: r.headers.get('content-length') });
    return r;
  };
}

test('a 200 JSON answer echoing the call\'s secrets reaches the client masked, every front, passed through or translated', { timeout: 60_000 }, async (t) => {
  const fake = await startFake();
  const headers = `headers: { x-org: '${ORG_HEADER}' }`;
  const gw = await startGateway(`gateway:
  admin: { host: 127.0.0.1, port: 0 }
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
`);
  t.after(async () => { await gw.close(); await fake.close(); });
  const seen: { body: string; length: string | null }[] = [];
  const openai = new OpenAI({ baseURL: `${gw.url()}/v1`, apiKey: 'client-key', maxRetries: 0, fetch: recordingFetch(seen) });
  const anthropic = new Anthropic({ baseURL: gw.url(), apiKey: 'client-key', maxRetries: 0, fetch: recordingFetch(seen) });
  const cases: [string, () => Promise<string>][] = [
    ['chat → openai (passed through)', async () => (await openai.chat.completions.create({ model: 'oa', messages: [{ role: 'user', content: 'hi' }] })).choices[0]!.message.content!],
    ['chat → anthropic (translated)', async () => (await openai.chat.completions.create({ model: 'an', messages: [{ role: 'user', content: 'hi' }] })).choices[0]!.message.content!],
    ['chat → gemini (translated)', async () => (await openai.chat.completions.create({ model: 'ge', messages: [{ role: 'user', content: 'hi' }] })).choices[0]!.message.content!],
    ['responses → openai (passed through)', async () => (await openai.responses.create({ model: 'oa', input: 'hi' })).output_text],
    ['responses → anthropic (translated)', async () => (await openai.responses.create({ model: 'an', input: 'hi' })).output_text],
    ['messages → anthropic (passed through)', async () => textOf(await anthropic.messages.create({ model: 'an', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] }))],
    ['messages → openai (translated)', async () => textOf(await anthropic.messages.create({ model: 'oa', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] }))],
  ];
  for (const [name, call] of cases) {
    const content = await call();
    const { body, length } = seen.at(-1)!;
    assert.deepEqual(leaked(content, [MODEL_KEY, ORG_HEADER]), [], `${name}: ${content}`);
    assert.deepEqual(leaked(body, [MODEL_KEY, ORG_HEADER]), [], `${name}: ${body}`);
    assert.match(content, /^Hello\. raw \*{20,} b64 \*{20,} bearer .*Bye\.$/, name);
    assert.equal(Number(length), Buffer.byteLength(body), `${name}: content-length`);
  }
});

test('Vertex: the access token the call was sent with is masked in the answer', { timeout: 30_000 }, async (t) => {
  clearGoogleTokenCache();
  const { fake, client, anthropic } = await setupVertex(t);
  fake.on((req, res) => {
    const token = String(req.headers.authorization).slice('Bearer '.length);
    const text = echo([token]);
    const body = req.url.includes('/publishers/google/')
      ? { candidates: [{ content: { role: 'model', parts: [{ text }] }, finishReason: 'STOP', index: 0 }], usageMetadata: { promptTokenCount: 3, candidatesTokenCount: 5, totalTokenCount: 8 } }
      : { id: 'msg_1', type: 'message', role: 'assistant', model: 'm', content: [{ type: 'text', text }], stop_reason: 'end_turn', stop_sequence: null, usage: { input_tokens: 3, output_tokens: 5 } };
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  });
  const gemini = (await client.chat.completions.create({ model: 'vgem', messages: [{ role: 'user', content: 'hi' }] })).choices[0]!.message.content!;
  const claude = textOf(await anthropic.messages.create({ model: 'vclaude', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] }));
  assert.ok(fake.issued.length >= 1);
  for (const [name, content] of [['chat → Gemini on Vertex (translated)', gemini], ['messages → Claude on Vertex (passed through)', claude]] as const) {
    assert.deepEqual(leaked(content, fake.issued), [], `${name}: ${content}`);
    assert.match(content, /^Hello\. raw \*{20,} /, name);
  }
});

function textOf(m: Anthropic.Message): string {
  return m.content.map((b) => (b.type === 'text' ? b.text : '')).join('');
}
