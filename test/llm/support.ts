// A fake OpenAI server for llm tests: real wire format (JSON, and SSE `data: {...}\n\n`
// events ending with `data: [DONE]`), on 127.0.0.1 port 0. It records every request it
// got, and a test can replace the answer for one path with its own handler.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import OpenAI from 'openai';
import { startGateway, type TestGateway } from '../helpers/gateway.js';

export const BACKEND_KEY = 'sk-backend-secret-key-0123456789';

export interface FakeRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: Record<string, any>;
  /** The body's bytes as received. */
  raw: string;
}

export type FakeHandler = (req: FakeRequest, res: http.ServerResponse, raw: http.IncomingMessage) => void;

export interface FakeOpenAI {
  url: string;
  /** baseUrl as the OpenAI SDK would use it. */
  baseUrl: string;
  received: FakeRequest[];
  /** Replaces the default answer for `path` (e.g. "/v1/chat/completions"). */
  on(path: string, handler: FakeHandler): void;
  close(): Promise<void>;
}

const CREATED = 1_700_000_000;

function chunk(model: string, choices: unknown[], extra: Record<string, unknown> = {}): string {
  return `data: ${JSON.stringify({ id: 'chatcmpl-fake', object: 'chat.completion.chunk', created: CREATED, model, system_fingerprint: 'fp_fake', choices, ...extra })}\n\n`;
}

/** The default chat answer: text, or a get_weather tool call when the request has tools. */
function chat(req: FakeRequest, res: http.ServerResponse): void {
  const model = String(req.body.model);
  const usage = { prompt_tokens: 11, completion_tokens: 7, total_tokens: 18 };
  const toolCall = Array.isArray(req.body.tools);
  if (req.body.stream === true) {
    const withUsage = req.body.stream_options?.include_usage === true;
    const u = withUsage ? { usage: null } : {};
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' });
    res.write(chunk(model, [{ index: 0, delta: { role: 'assistant', content: toolCall ? null : '' }, logprobs: null, finish_reason: null }], u));
    if (toolCall) {
      res.write(chunk(model, [{ index: 0, delta: { tool_calls: [{ index: 0, id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '' } }] }, logprobs: null, finish_reason: null }], u));
      for (const part of ['{"ci', 'ty": "Par', 'is"}']) {
        res.write(chunk(model, [{ index: 0, delta: { tool_calls: [{ index: 0, function: { arguments: part } }] }, logprobs: null, finish_reason: null }], u));
      }
      res.write(chunk(model, [{ index: 0, delta: {}, logprobs: null, finish_reason: 'tool_calls' }], u));
    } else {
      for (const part of ['Hello', ' world']) res.write(chunk(model, [{ index: 0, delta: { content: part }, logprobs: null, finish_reason: null }], u));
      res.write(chunk(model, [{ index: 0, delta: {}, logprobs: null, finish_reason: 'stop' }], u));
    }
    if (withUsage) res.write(chunk(model, [], { usage }));
    res.end('data: [DONE]\n\n');
    return;
  }
  const message = toolCall
    ? { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city": "Paris"}' } }], refusal: null }
    : { role: 'assistant', content: 'Hello world', refusal: null };
  const body = JSON.stringify({
    id: 'chatcmpl-fake', object: 'chat.completion', created: CREATED, model, system_fingerprint: 'fp_fake',
    choices: [{ index: 0, message, logprobs: null, finish_reason: toolCall ? 'tool_calls' : 'stop' }],
    usage,
  });
  res.writeHead(200, { 'content-type': 'application/json', 'x-ratelimit-remaining-requests': '99', 'set-cookie': 'upstream=1', 'openai-organization': 'org-fake' });
  res.end(body);
}

function embeddings(req: FakeRequest, res: http.ServerResponse): void {
  const inputs: unknown[] = Array.isArray(req.body.input) ? req.body.input : [req.body.input];
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify({
    object: 'list',
    data: inputs.map((_, index) => ({ object: 'embedding', index, embedding: [0.25, -0.5, index] })),
    model: req.body.model,
    usage: { prompt_tokens: 5 * inputs.length, total_tokens: 5 * inputs.length },
  }));
}

export async function startFakeOpenAI(): Promise<FakeOpenAI> {
  const received: FakeRequest[] = [];
  const handlers = new Map<string, FakeHandler>([['/v1/chat/completions', chat], ['/v1/embeddings', embeddings]]);
  const server = http.createServer((raw, res) => {
    const chunks: Buffer[] = [];
    raw.on('data', (c: Buffer) => chunks.push(c));
    raw.on('end', () => {
      const text = Buffer.concat(chunks).toString();
      let body: Record<string, any>;
      try { body = text ? JSON.parse(text) : {}; } catch { body = { unparsable: text }; }
      const req: FakeRequest = { method: raw.method!, url: raw.url!, headers: raw.headers, body, raw: text };
      received.push(req);
      const handler = handlers.get(raw.url!.split('?')[0]!);
      if (handler === undefined) {
        res.writeHead(404, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { message: 'not found', type: 'invalid_request_error', param: null, code: null } }));
        return;
      }
      handler(req, res, raw);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url, baseUrl: `${url}/v1`, received,
    on: (path, handler) => { handlers.set(path, handler); },
    close: () => new Promise<void>((r) => { server.close(() => r()); server.closeAllConnections(); }),
  };
}

/** A gateway with one route at /v1 to an llm backend whose models live on `fake`. */
export function llmConfig(fake: FakeOpenAI, models = ''): string {
  return `gateway:
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
        - name: fast
          provider: openai
          model: gpt-4o-mini
          apiKey: ${BACKEND_KEY}
          baseUrl: ${fake.baseUrl}
        - name: local
          provider: openai-compatible
          baseUrl: ${fake.baseUrl}/
          headers: { x-extra: from-config }
${models}`;
}

export interface LlmSetup {
  fake: FakeOpenAI;
  gw: TestGateway;
  client: OpenAI;
}

/** Fake upstream, gateway and an OpenAI SDK client pointed at the gateway; closed after the test. */
export async function setup(t: { after(fn: () => Promise<void>): void }): Promise<LlmSetup> {
  const fake = await startFakeOpenAI();
  const gw = await startGateway(llmConfig(fake));
  t.after(async () => { await gw.close(); await fake.close(); });
  const client = new OpenAI({ baseURL: `${gw.url()}/v1`, apiKey: 'sk-client-key-should-not-leak', maxRetries: 0, timeout: 10_000 });
  return { fake, gw, client };
}
