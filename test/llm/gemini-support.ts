// A fake Google AI Gemini API for llm tests, on 127.0.0.1 port 0: POST
// /v1beta/models/{model}:generateContent answers a GenerateContentResponse JSON, and
// :streamGenerateContent?alt=sse answers SSE events that each carry a whole
// GenerateContentResponse with the next parts (the last with finishReason and usage), with
// CRLF line endings as Google sends them. The answer is a text, or a get_weather
// functionCall when the request declares functions and has no functionResponse yet. It
// records every request, and a test can replace the answer with its own handler.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import OpenAI from 'openai';
import { startGateway, type TestGateway } from '../helpers/gateway.js';

export const GEMINI_KEY = 'AIzaSy-gemini-backend-secret-0123456789';
export const CLIENT_KEY = 'sk-client-key-should-not-leak';

export interface GeminiRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: Record<string, any>;
}

export type GeminiHandler = (req: GeminiRequest, res: http.ServerResponse) => void;

export interface FakeGemini {
  url: string;
  received: GeminiRequest[];
  /** Replaces the default answer. */
  on(handler: GeminiHandler): void;
  close(): Promise<void>;
}

/** A get_weather tool as the OpenAI SDK sends it (additionalProperties included). */
export const TOOLS = [{
  type: 'function' as const,
  function: {
    name: 'get_weather', description: 'Weather of a city',
    parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'], additionalProperties: false },
  },
}];

export const USAGE = { promptTokenCount: 28, candidatesTokenCount: 9, cachedContentTokenCount: 5, totalTokenCount: 37 };

/** One SSE event as the Gemini API sends it with alt=sse. */
export function sse(data: Record<string, unknown>): string {
  return `data: ${JSON.stringify(data)}\r\n\r\n`;
}

function candidate(parts: unknown[], finishReason?: string): Record<string, unknown> {
  const c: Record<string, unknown> = { content: { role: 'model', parts }, index: 0 };
  if (finishReason !== undefined) c.finishReason = finishReason;
  return c;
}

/** The responses of a streamed answer: text "Hello wörld 👋", or some text then a get_weather call. */
export function streamEvents(toolCall: boolean): string[] {
  const partial = { promptTokenCount: 28, cachedContentTokenCount: 5, totalTokenCount: 28 };
  const base = { modelVersion: 'gemini-2.0-flash', responseId: 'resp_fake' };
  if (toolCall) {
    return [
      sse({ candidates: [candidate([{ text: 'Let me check.' }])], usageMetadata: partial, ...base }),
      sse({ candidates: [candidate([{ functionCall: { name: 'get_weather', args: { city: 'Paris' } } }], 'STOP')], usageMetadata: USAGE, ...base }),
    ];
  }
  return [
    sse({ candidates: [candidate([{ text: 'Hello' }])], usageMetadata: partial, ...base }),
    sse({ candidates: [candidate([{ text: ' wörld' }])], usageMetadata: partial, ...base }),
    sse({ candidates: [candidate([{ text: ' 👋' }], 'STOP')], usageMetadata: USAGE, ...base }),
  ];
}

function wantsTool(body: Record<string, any>): boolean {
  return Array.isArray(body.tools) && !body.contents.some((c: any) => c.parts.some((p: any) => p.functionResponse !== undefined));
}

const ROUTE = /^\/v1beta\/models\/([^/:]+):(generateContent|streamGenerateContent\?alt=sse)$/;

function generate(req: GeminiRequest, res: http.ServerResponse): void {
  const toolCall = wantsTool(req.body);
  if (req.url.includes(':streamGenerateContent')) {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'x-goog-internal': 'x' });
    for (const e of streamEvents(toolCall)) res.write(e);
    res.end();
    return;
  }
  const parts = toolCall
    ? [{ text: 'Let me check.' }, { functionCall: { name: 'get_weather', args: { city: 'Paris' } } }]
    : [{ text: 'Hello world' }];
  res.writeHead(200, { 'content-type': 'application/json; charset=UTF-8', 'set-cookie': 'upstream=1' });
  res.end(JSON.stringify({ candidates: [candidate(parts, 'STOP')], usageMetadata: USAGE, modelVersion: 'gemini-2.0-flash', responseId: 'resp_fake' }));
}

export async function startFakeGemini(): Promise<FakeGemini> {
  const received: GeminiRequest[] = [];
  let handler: GeminiHandler = generate;
  const server = http.createServer((raw, res) => {
    const chunks: Buffer[] = [];
    raw.on('data', (c: Buffer) => chunks.push(c));
    raw.on('end', () => {
      const text = Buffer.concat(chunks).toString();
      let body: Record<string, any>;
      try { body = text ? JSON.parse(text) : {}; } catch { body = { unparsable: text }; }
      const req: GeminiRequest = { method: raw.method!, url: raw.url!, headers: raw.headers, body };
      received.push(req);
      if (raw.method !== 'POST' || !ROUTE.test(raw.url!)) {
        res.writeHead(404, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { code: 404, message: 'Not found', status: 'NOT_FOUND' } }));
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

export interface GeminiSetup {
  fake: FakeGemini;
  gw: TestGateway;
  client: OpenAI;
}

/**
 * Fake Gemini, a gateway with model "gem" on it (plus `modelYaml`, more keys of that model
 * indented as its own), and an OpenAI SDK client; closed after the test.
 */
export async function setupGemini(t: { after(fn: () => Promise<void>): void }, modelYaml = ''): Promise<GeminiSetup> {
  const fake = await startFakeGemini();
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
        - name: gem
          provider: gemini
          model: gemini-2.0-flash
          apiKey: ${GEMINI_KEY}
          baseUrl: ${fake.url}
${modelYaml}`);
  t.after(async () => { await gw.close(); await fake.close(); });
  const client = new OpenAI({ baseURL: `${gw.url()}/v1`, apiKey: CLIENT_KEY, maxRetries: 0, timeout: 10_000 });
  return { fake, gw, client };
}
