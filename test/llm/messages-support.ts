// Helpers for the Anthropic front tests (P/messages): the real Anthropic SDK pointed at a
// gateway whose route is at /v1, over the fake OpenAI upstream (support.ts), or over a
// small fake Anthropic upstream that answers /v1/messages and /v1/messages/count_tokens
// with fixed bytes, so a test can compare what the client got byte for byte.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Anthropic from '@anthropic-ai/sdk';
import { startGateway, type TestGateway } from '../helpers/gateway.js';
import { llmConfig, startFakeOpenAI, type FakeOpenAI, type FakeRequest } from './support.js';

export const CLIENT_KEY = 'sk-ant-client-key-should-not-leak';
export const ANTHROPIC_BACKEND_KEY = 'sk-ant-backend-secret-0123456789';

export interface MessagesSetup {
  fake: FakeOpenAI;
  gw: TestGateway;
  client: Anthropic;
}

/** Fake OpenAI upstream, gateway (models fast/local), Anthropic SDK client at the gateway. */
export async function setupMessages(t: { after(fn: () => Promise<void>): void }, opts: { authToken?: boolean } = {}): Promise<MessagesSetup> {
  const fake = await startFakeOpenAI();
  const gw = await startGateway(llmConfig(fake));
  t.after(async () => { await gw.close(); await fake.close(); });
  const client = new Anthropic({
    baseURL: gw.url(),
    ...(opts.authToken === true ? { authToken: CLIENT_KEY, apiKey: null } : { apiKey: CLIENT_KEY, authToken: null }),
    maxRetries: 0,
    timeout: 10_000,
  });
  return { fake, gw, client };
}

export interface FakeAnthropicRaw {
  url: string;
  received: FakeRequest[];
  /** The exact bytes of the last answer body sent. */
  sent: { body: string };
  close(): Promise<void>;
}

export const PASS_JSON = JSON.stringify({
  id: 'msg_01', type: 'message', role: 'assistant', model: 'claude-sonnet-4-5', content: [{ type: 'text', text: 'Bonjour' }],
  stop_reason: 'end_turn', stop_sequence: null, future_field: { kept: true },
  usage: { input_tokens: 12, cache_creation_input_tokens: 0, cache_read_input_tokens: 4, output_tokens: 6 },
});

export const PASS_EVENTS = [
  'event: message_start\ndata: {"type":"message_start","message":{"id":"msg_02","type":"message","role":"assistant","model":"claude-sonnet-4-5","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":12,"output_tokens":1}}}\n\n',
  'event: content_block_start\ndata: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}\n\n',
  'event: ping\ndata: {"type": "ping"}\n\n',
  'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Bon"}}\n\n',
  'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"jour"}}\n\n',
  'event: content_block_stop\ndata: {"type":"content_block_stop","index":0}\n\n',
  'event: message_delta\ndata: {"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":6}}\n\n',
  'event: message_stop\ndata: {"type":"message_stop"}\n\n',
];

/** A fake Anthropic API: fixed JSON or SSE answers, and count_tokens → {input_tokens: 42}. */
export async function startFakeAnthropicRaw(): Promise<FakeAnthropicRaw> {
  const received: FakeRequest[] = [];
  const sent = { body: '' };
  const server = http.createServer((raw, res) => {
    const chunks: Buffer[] = [];
    raw.on('data', (c: Buffer) => chunks.push(c));
    raw.on('end', () => {
      const text = Buffer.concat(chunks).toString();
      const body = JSON.parse(text || '{}') as Record<string, any>;
      received.push({ method: raw.method!, url: raw.url!, headers: raw.headers, body, raw: text });
      if (raw.url === '/v1/messages/count_tokens') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(sent.body = '{"input_tokens":42}');
      } else if (raw.url === '/v1/messages' && body.stream === true) {
        res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'request-id': 'req_up' });
        sent.body = PASS_EVENTS.join('');
        // Split inside events, so the gateway's event holding is exercised.
        const all = sent.body;
        res.write(all.slice(0, 50));
        res.write(all.slice(50, 400));
        res.end(all.slice(400));
      } else if (raw.url === '/v1/messages') {
        res.writeHead(200, { 'content-type': 'application/json', 'request-id': 'req_up' });
        res.end(sent.body = PASS_JSON);
      } else {
        res.writeHead(404, { 'content-type': 'application/json' });
        res.end('{"type":"error","error":{"type":"not_found_error","message":"Not found"}}');
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, received, sent, close: () => new Promise<void>((r) => { server.close(() => r()); server.closeAllConnections(); }) };
}

export async function setupAnthropicPass(t: { after(fn: () => Promise<void>): void }): Promise<{ fake: FakeAnthropicRaw; gw: TestGateway; client: Anthropic }> {
  const fake = await startFakeAnthropicRaw();
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
        - name: claude
          provider: anthropic
          model: claude-sonnet-4-5
          apiKey: ${ANTHROPIC_BACKEND_KEY}
          baseUrl: ${fake.url}
`);
  t.after(async () => { await gw.close(); await fake.close(); });
  const client = new Anthropic({ baseURL: gw.url(), apiKey: CLIENT_KEY, authToken: null, maxRetries: 0, timeout: 10_000 });
  return { fake, gw, client };
}
