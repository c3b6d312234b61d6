// A fake Anthropic Messages API for llm tests, on 127.0.0.1 port 0: POST /v1/messages
// answers in the real wire format (a Message JSON object, or the SSE events message_start,
// content_block_start/delta/stop, message_delta, message_stop, with a ping), with a text
// answer, or a get_weather tool_use when the request has tools. It records every request,
// and a test can replace the answer with its own handler.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import OpenAI from 'openai';
import { startGateway, type TestGateway } from '../helpers/gateway.js';

export const ANTHROPIC_KEY = 'sk-ant-backend-secret-0123456789';
export const CLIENT_KEY = 'sk-client-key-should-not-leak';

export interface AnthropicRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: Record<string, any>;
}

export type AnthropicHandler = (req: AnthropicRequest, res: http.ServerResponse) => void;

export interface FakeAnthropic {
  url: string;
  received: AnthropicRequest[];
  /** Replaces the default answer to POST /v1/messages. */
  on(handler: AnthropicHandler): void;
  close(): Promise<void>;
}

export const USAGE = { input_tokens: 20, cache_creation_input_tokens: 3, cache_read_input_tokens: 5, output_tokens: 9 };

/** One SSE event as Anthropic sends it: a named event whose data repeats the type. */
export function sse(data: Record<string, unknown>): string {
  return `event: ${String(data.type)}\ndata: ${JSON.stringify(data)}\n\n`;
}

/** The events of a streamed answer: text "Hello world", or a get_weather tool call with its input in fragments. */
export function streamEvents(model: string, toolCall: boolean): string[] {
  const events = [
    sse({ type: 'message_start', message: { id: 'msg_fake', type: 'message', role: 'assistant', content: [], model, stop_reason: null, stop_sequence: null, usage: { input_tokens: 20, cache_creation_input_tokens: 3, cache_read_input_tokens: 5, output_tokens: 1 } } }),
  ];
  if (toolCall) {
    events.push(
      sse({ type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }),
      sse({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Let me check.' } }),
      sse({ type: 'content_block_stop', index: 0 }),
      sse({ type: 'content_block_start', index: 1, content_block: { type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: {} } }),
      sse({ type: 'ping' }),
    );
    for (const part of ['', '{"ci', 'ty": "Par', 'is"}']) events.push(sse({ type: 'content_block_delta', index: 1, delta: { type: 'input_json_delta', partial_json: part } }));
    events.push(
      sse({ type: 'content_block_stop', index: 1 }),
      sse({ type: 'message_delta', delta: { stop_reason: 'tool_use', stop_sequence: null }, usage: { output_tokens: 9 } }),
    );
  } else {
    events.push(
      sse({ type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }),
      sse({ type: 'ping' }),
      sse({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Hello' } }),
      sse({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: ' wörld 👋' } }),
      sse({ type: 'content_block_stop', index: 0 }),
      sse({ type: 'message_delta', delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: 9 } }),
    );
  }
  events.push(sse({ type: 'message_stop' }));
  return events;
}

function messages(req: AnthropicRequest, res: http.ServerResponse): void {
  const model = String(req.body.model);
  const toolCall = Array.isArray(req.body.tools) && !req.body.messages.some((m: any) => Array.isArray(m.content) && m.content.some((b: any) => b.type === 'tool_result'));
  if (req.body.stream === true) {
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', 'request-id': 'req_fake' });
    for (const e of streamEvents(model, toolCall)) res.write(e);
    res.end();
    return;
  }
  const content = toolCall
    ? [{ type: 'text', text: 'Let me check.' }, { type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: { city: 'Paris' } }]
    : [{ type: 'text', text: 'Hello world' }];
  res.writeHead(200, { 'content-type': 'application/json', 'request-id': 'req_fake', 'set-cookie': 'upstream=1' });
  res.end(JSON.stringify({
    id: 'msg_fake', type: 'message', role: 'assistant', model, content,
    stop_reason: toolCall ? 'tool_use' : 'end_turn', stop_sequence: null, usage: USAGE,
  }));
}

export async function startFakeAnthropic(): Promise<FakeAnthropic> {
  const received: AnthropicRequest[] = [];
  let handler: AnthropicHandler = messages;
  const server = http.createServer((raw, res) => {
    const chunks: Buffer[] = [];
    raw.on('data', (c: Buffer) => chunks.push(c));
    raw.on('end', () => {
      const text = Buffer.concat(chunks).toString();
      let body: Record<string, any>;
      try { body = text ? JSON.parse(text) : {}; } catch { body = { unparsable: text }; }
      const req: AnthropicRequest = { method: raw.method!, url: raw.url!, headers: raw.headers, body };
      received.push(req);
      if (raw.method !== 'POST' || raw.url !== '/v1/messages') {
        res.writeHead(404, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ type: 'error', error: { type: 'not_found_error', message: 'Not found' } }));
        return;
      }
      handler(req, res);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url, received,
    on: (h) => { handler = h; },
    close: () => new Promise<void>((r) => { server.close(() => r()); server.closeAllConnections(); }),
  };
}

export interface AnthropicSetup {
  fake: FakeAnthropic;
  gw: TestGateway;
  client: OpenAI;
}

/** Fake Anthropic, a gateway with model "claude" on it, and an OpenAI SDK client; closed after the test. */
export async function setupAnthropic(t: { after(fn: () => Promise<void>): void }): Promise<AnthropicSetup> {
  const fake = await startFakeAnthropic();
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
          apiKey: ${ANTHROPIC_KEY}
          baseUrl: ${fake.url}
`);
  t.after(async () => { await gw.close(); await fake.close(); });
  const client = new OpenAI({ baseURL: `${gw.url()}/v1`, apiKey: CLIENT_KEY, maxRetries: 0, timeout: 10_000 });
  return { fake, gw, client };
}
