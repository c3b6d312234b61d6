// One fake upstream that speaks four providers' wire formats, told apart by the request path
// (OpenAI /v1/chat/completions, Anthropic /v1/messages, Gemini /v1beta/models/…, Bedrock
// /model/…/converse[-stream]), for tests that check one behaviour on every translated path:
// a test hands it a handler that writes the answer its own way (in pieces, forever, with a
// fault). It also builds valid answers in each format around a text of any size, and a
// gateway with one model per provider on the fake: gpt (openai), claude (anthropic), gem
// (gemini), bed (bedrock).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import { encodeEventStreamMessage } from '../../src/llm/providers/aws-eventstream.js';
import { spawnGateway, type ProcessGateway } from '../helpers/process-gateway.js';

export type Provider = 'openai' | 'anthropic' | 'gemini' | 'bedrock';

export interface FakeCall {
  provider: Provider;
  /** The request path. */
  url: string;
  stream: boolean;
  body: Record<string, any>;
  /** Resolves when the gateway closed its side of this call before the answer ended (an abort). */
  aborted: Promise<void>;
}

export type ProviderHandler = (call: FakeCall, res: http.ServerResponse) => void;

export interface ProviderFake {
  url: string;
  calls: FakeCall[];
  on(handler: ProviderHandler): void;
  close(): Promise<void>;
}

function providerOf(url: string): { provider: Provider; stream: boolean } | null {
  if (url.startsWith('/v1/chat/completions') || url.startsWith('/v1/responses')) return { provider: 'openai', stream: false };
  if (url.startsWith('/v1/messages')) return { provider: 'anthropic', stream: false };
  if (url.startsWith('/v1beta/models/')) return { provider: 'gemini', stream: url.includes(':streamGenerateContent') };
  if (url.startsWith('/model/')) return { provider: 'bedrock', stream: url.includes('/converse-stream') };
  return null;
}

export async function startProviderFake(): Promise<ProviderFake> {
  const calls: FakeCall[] = [];
  let handler: ProviderHandler = (_c, res) => { res.writeHead(500).end(); };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const which = providerOf(req.url ?? '');
      if (which === null) { res.writeHead(404).end(); return; }
      const body = JSON.parse(Buffer.concat(chunks).toString() || '{}') as Record<string, any>;
      const stream = which.stream || body.stream === true;
      const aborted = new Promise<void>((resolve) => { res.once('close', () => { if (!res.writableFinished) resolve(); }); });
      const call: FakeCall = { provider: which.provider, url: req.url ?? '', stream, body, aborted };
      calls.push(call);
      handler(call, res);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    calls,
    on: (h) => { handler = h; },
    close: () => new Promise<void>((r) => { server.close(() => r()); server.closeAllConnections(); }),
  };
}

/** The model names of `gatewayYaml`, by provider. */
export const MODEL_OF: Record<Provider, string> = { openai: 'gpt', anthropic: 'claude', gemini: 'gem', bedrock: 'bed' };

/** The apiKey of each provider's model in `gatewayYaml` (bedrock signs with AWS credentials instead). */
export const KEY_OF: Record<Exclude<Provider, 'bedrock'>, string> = { openai: 'sk-fake-openai-key-0123', anthropic: 'sk-fake-anthropic-key-0123', gemini: 'fake-gemini-key-0123' };

/** A gateway config with one model per provider on `fake`; `listener` and `backend` add indented keys. */
export function gatewayYaml(fake: ProviderFake, opts: { listener?: string; backend?: string } = {}): string {
  return `gateway:
  admin: { host: 127.0.0.1, port: 0 }
  accessLog: { format: off }
listeners:
  - name: edge
    port: 0
${opts.listener ?? ''}
    routes:
      - { name: llm, match: { path: /v1 }, backend: models }
backends:
  models:
    llm:
${opts.backend ?? ''}
      models:
        - { name: gpt, provider: openai, apiKey: ${KEY_OF.openai}, baseUrl: ${fake.url}/v1 }
        - { name: claude, provider: anthropic, apiKey: ${KEY_OF.anthropic}, baseUrl: ${fake.url} }
        - { name: gem, provider: gemini, apiKey: ${KEY_OF.gemini}, baseUrl: ${fake.url} }
        - name: bed
          provider: bedrock
          model: anthropic.claude-test
          baseUrl: ${fake.url}
          region: eu-west-3
          aws: { accessKeyId: AKIDFAKEFAKEFAKE01, secretAccessKey: fake-aws-secret-0123456789 }
`;
}

/** A non-streamed answer in `provider`'s format whose text is `text`, as the bytes before and after it (JSON-escaped text goes between). */
export function jsonAround(provider: Provider): { head: string; tail: string } {
  const marker = '\u0000TEXT\u0000';
  const json = JSON.stringify(jsonAnswer(provider, marker));
  const at = json.indexOf(JSON.stringify(marker).slice(1, -1));
  return { head: json.slice(0, at), tail: json.slice(at + JSON.stringify(marker).length - 2) };
}

function jsonAnswer(provider: Provider, text: string): unknown {
  switch (provider) {
    case 'openai': return { id: 'chatcmpl-1', object: 'chat.completion', created: 1, model: 'm', choices: [{ index: 0, message: { role: 'assistant', content: text }, finish_reason: 'stop' }], usage: { prompt_tokens: 3, completion_tokens: 5, total_tokens: 8 } };
    case 'anthropic': return { id: 'msg_1', type: 'message', role: 'assistant', model: 'm', content: [{ type: 'text', text }], stop_reason: 'end_turn', stop_sequence: null, usage: { input_tokens: 3, output_tokens: 5 } };
    case 'gemini': return { candidates: [{ content: { role: 'model', parts: [{ text }] }, finishReason: 'STOP', index: 0 }], usageMetadata: { promptTokenCount: 3, candidatesTokenCount: 5, totalTokenCount: 8 }, modelVersion: 'm' };
    case 'bedrock': return { output: { message: { role: 'assistant', content: [{ text }] } }, stopReason: 'end_turn', usage: { inputTokens: 3, outputTokens: 5, totalTokens: 8 }, metrics: { latencyMs: 1 } };
  }
}

/** Starts a streamed answer: the status, the headers and what comes before the first text event. */
export function startStream(provider: Provider, res: http.ServerResponse): void {
  res.writeHead(200, { 'content-type': provider === 'bedrock' ? 'application/vnd.amazon.eventstream' : 'text/event-stream' });
  if (provider === 'anthropic') {
    res.write(sseNamed({ type: 'message_start', message: { id: 'msg_1', type: 'message', role: 'assistant', content: [], model: 'm', stop_reason: null, stop_sequence: null, usage: { input_tokens: 3, output_tokens: 1 } } }));
    res.write(sseNamed({ type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }));
  } else if (provider === 'bedrock') {
    res.write(frame('messageStart', { role: 'assistant' }));
  } else if (provider === 'openai') {
    res.write(`data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', created: 1, model: 'm', choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }] })}\n\n`);
  }
}

/** One text event of a streamed answer in `provider`'s format. */
export function textEvent(provider: Provider, text: string): Buffer | string {
  switch (provider) {
    case 'openai': return `data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', created: 1, model: 'm', choices: [{ index: 0, delta: { content: text }, finish_reason: null }] })}\n\n`;
    case 'anthropic': return sseNamed({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text } });
    case 'gemini': return `data: ${JSON.stringify({ candidates: [{ content: { role: 'model', parts: [{ text }] }, index: 0 }], modelVersion: 'm' })}\n\n`;
    case 'bedrock': return frame('contentBlockDelta', { contentBlockIndex: 0, delta: { text } });
  }
}

/** The opening bytes of a text event whose text goes on (SSE providers only): the event is unfinished until `textEventTail`. */
export function textEventHead(provider: Exclude<Provider, 'bedrock'>): string {
  const ev = String(textEvent(provider, '\u0000'));
  return ev.slice(0, ev.indexOf('\\u0000'));
}

function sseNamed(data: Record<string, unknown>): string {
  return `event: ${String(data.type)}\ndata: ${JSON.stringify(data)}\n\n`;
}

function frame(type: string, body: Record<string, unknown>): Buffer {
  return encodeEventStreamMessage({ ':event-type': type, ':content-type': 'application/json', ':message-type': 'event' }, JSON.stringify(body));
}

/** Writes `events` one after another for as long as the client takes them, until the response closes. */
export function writeForever(res: http.ServerResponse, next: () => Buffer | string): void {
  const pump = (): void => {
    while (!res.destroyed) {
      if (!res.write(next())) { res.once('drain', pump); return; }
    }
  };
  pump();
}

/**
 * A gateway in its own process on `yaml`: for tests of faults that could stall the event
 * loop, so that the test itself stays responsive (its timeout fires, it can probe /healthz).
 */
export async function spawnYamlGateway(yaml: string): Promise<ProcessGateway> {
  const dir = mkdtempSync(join(tmpdir(), 'agentedge-proc-'));
  const path = join(dir, 'agentedge.yaml');
  writeFileSync(path, yaml);
  let gw: ProcessGateway;
  try {
    gw = await spawnGateway(path);
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  // Stopped before its folder goes: it writes its state there until it exits.
  after(async () => { await gw.stop(); rmSync(dir, { recursive: true, force: true }); });
  return gw;
}
