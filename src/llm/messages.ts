// The Anthropic front: POST P/messages and P/messages/count_tokens in Anthropic shapes, so
// the Anthropic SDK (baseURL = the gateway, route at /v1) reaches every model of the
// backend. Models of provider `anthropic` are passed through (model rewritten, the
// backend's key injected, bytes streamed back as they come, usage read in passing); OpenAI
// shaped providers are translated (messages-translate.ts). The upstream plumbing (pools,
// headers, failure mapping) is the backend's, handed in as `MessagesIo`.
import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { Dispatcher } from 'undici';
import type { LlmModelSpec } from '../config/index.js';
import { GatewayError, sseEventEnd, type RequestContext, type UpstreamHeaders } from '../core/index.js';
import { anthropicUpstreamErrorBody, writeAnthropicStreamError } from './anthropic-errors.js';
import { isObject, PASSED_STATUSES } from './openai-errors.js';
import { estimateInputTokens, messagesToOpenAI, openAIToMessage, OpenAIToAnthropicStream } from './messages-translate.js';
import type { UpstreamCall } from './providers/index.js';
import type { Usage } from './usage.js';

export const ANTHROPIC_API_VERSION = '2023-06-01';

export interface MessagesIo {
  send(ctx: RequestContext, model: LlmModelSpec, path: string, headers: Record<string, string | string[]>, payload: string):
    Promise<{ res: Dispatcher.ResponseData; settle: () => void } | null>;
  headers(ctx: RequestContext, model: LlmModelSpec, payload: string, call: UpstreamCall): Record<string, string | string[]>;
  failure(err: unknown, started: boolean): GatewayError;
  upstreamError(code: string): void;
  responseHeaders(ctx: RequestContext, model: LlmModelSpec, upstream: UpstreamHeaders): OutgoingHttpHeaders;
}

const MAX_ERROR_BODY = 64 * 1024;
const MAX_TRANSLATED_JSON = 32 * 1024 * 1024;
/** A pass-through JSON answer up to this size is kept to read its usage. */
const MAX_USAGE_COPY = 4 * 1024 * 1024;
/** Most bytes of one unfinished SSE event held back on the pass-through path. */
const HOLD_LIMIT = 1024 * 1024;

/** Serves P/messages (`countTokens` false) or P/messages/count_tokens for a resolved model. */
export async function serveMessages(io: MessagesIo, ctx: RequestContext, model: LlmModelSpec, body: Record<string, unknown>, countTokens: boolean): Promise<void> {
  if (body.messages === undefined) throw new GatewayError('AE_BAD_REQUEST', { message: '"messages" is required.' });
  const stream = !countTokens && body.stream === true;
  ctx.llm = { model: model.name, provider: model.provider, stream, inputTokens: null, outputTokens: null };
  if (model.provider === 'anthropic') return passThrough(io, ctx, model, body, countTokens, stream);
  if (model.provider !== 'openai' && model.provider !== 'openai-compatible') {
    throw new GatewayError('AE_BAD_REQUEST', { message: `The model "${model.name}" (provider ${model.provider}) is not served on the Anthropic front yet.` });
  }
  if (countTokens) {
    // Validate as for a message, so an estimate is only given for a request that would be served.
    messagesToOpenAI({ ...body, max_tokens: 1, stream: undefined }, model);
    sendJson(ctx, { input_tokens: estimateInputTokens(body) });
    return;
  }
  const request = messagesToOpenAI(body, model);
  const payload = JSON.stringify(request);
  const headers: Record<string, string> = {};
  if (model.apiKey !== null) headers.authorization = `Bearer ${model.apiKey.reveal()}`;
  const call: UpstreamCall = { path: `${model.basePath}/chat/completions`, headers, dropHeaders: ['anthropic-version', 'anthropic-beta', 'anthropic-dangerous-direct-browser-access'], body: payload };
  const sent = await io.send(ctx, model, call.path, io.headers(ctx, model, payload, call), payload);
  if (sent === null) return;
  try {
    if (sent.res.statusCode >= 400) await relayError(io, ctx, model, sent.res);
    else if (stream) await translatedStream(io, ctx, model, sent.res);
    else await translatedJson(io, ctx, model, sent.res);
  } finally {
    sent.settle();
  }
}

async function passThrough(
  io: MessagesIo, ctx: RequestContext, model: LlmModelSpec, body: Record<string, unknown>, countTokens: boolean, stream: boolean,
): Promise<void> {
  body.model = model.upstreamModel;
  const payload = JSON.stringify(body);
  const headers: Record<string, string> = {};
  if (model.apiKey !== null) headers['x-api-key'] = model.apiKey.reveal();
  if (ctx.req.headers['anthropic-version'] === undefined) headers['anthropic-version'] = ANTHROPIC_API_VERSION;
  const path = `${model.basePath}/v1/messages${countTokens ? '/count_tokens' : ''}${ctx.query}`;
  const call: UpstreamCall = { path, headers, dropHeaders: [], body: payload };
  const sent = await io.send(ctx, model, path, io.headers(ctx, model, payload, call), payload);
  if (sent === null) return;
  try {
    if (sent.res.statusCode >= 400) await relayError(io, ctx, model, sent.res);
    else await relay(io, ctx, model, sent.res, !countTokens, stream);
  } finally {
    sent.settle();
  }
}

/** Streams an Anthropic answer through unchanged; SSE whole events at a time, usage read in passing. */
async function relay(io: MessagesIo, ctx: RequestContext, model: LlmModelSpec, up: Dispatcher.ResponseData, accountUsage: boolean, stream: boolean): Promise<void> {
  const ct = up.headers['content-type'];
  const isSse = typeof ct === 'string' && ct.startsWith('text/event-stream') && up.headers['content-encoding'] === undefined;
  const out = io.responseHeaders(ctx, model, up.headers);
  const requestId = up.headers['request-id'];
  if (typeof requestId === 'string') out['request-id'] = requestId;
  const res = ctx.res;
  res.writeHead(up.statusCode, out);
  if (isSse || stream) res.flushHeaders();
  const sse = isSse ? new AnthropicSseUsage() : null;
  const copy: Buffer[] = [];
  let copied = 0;
  try {
    for await (const chunk of up.body as AsyncIterable<Buffer>) {
      if (res.destroyed) break;
      let bytes = chunk;
      if (sse !== null) bytes = sse.push(chunk);
      else if (accountUsage && copied + chunk.length <= MAX_USAGE_COPY) { copy.push(chunk); copied += chunk.length; }
      if (bytes.length === 0) continue;
      ctx.bytesOut += bytes.length;
      if (!res.write(bytes)) await drained(res);
    }
  } catch (err) {
    if (accountUsage) account(ctx, sse?.usage ?? null);
    if (ctx.clientAborted || res.destroyed) return;
    const e = io.failure(err, true);
    ctx.errorCode = e.code;
    if (sse !== null) writeAnthropicStreamError(res, e, ctx.id);
    else res.destroy();
    return;
  }
  if (accountUsage) account(ctx, sse !== null ? sse.usage : jsonUsage(copy));
  if (res.destroyed) return;
  const held = sse?.flush() ?? null;
  if (held !== null) ctx.bytesOut += held.length;
  res.end(held ?? undefined);
}

async function readAll(io: MessagesIo, ctx: RequestContext, model: LlmModelSpec, up: Dispatcher.ResponseData): Promise<string | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of up.body as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > MAX_TRANSLATED_JSON) {
        up.body.destroy();
        throw new GatewayError('AE_UPSTREAM_PROTOCOL', { detail: `answer of model ${model.name} too large to translate` });
      }
      chunks.push(chunk);
    }
  } catch (err) {
    if (ctx.clientAborted) return null;
    throw io.failure(err, false);
  }
  if (ctx.clientAborted || ctx.res.destroyed) return null;
  return Buffer.concat(chunks).toString('utf8');
}

async function translatedJson(io: MessagesIo, ctx: RequestContext, model: LlmModelSpec, up: Dispatcher.ResponseData): Promise<void> {
  const raw = await readAll(io, ctx, model, up);
  if (raw === null) return;
  const { body, usage } = openAIToMessage(raw, model.name);
  account(ctx, usage);
  const out = io.responseHeaders(ctx, model, up.headers);
  delete out['content-encoding'];
  out['content-type'] = 'application/json';
  out['content-length'] = String(Buffer.byteLength(body));
  ctx.res.writeHead(200, out);
  ctx.bytesOut += Buffer.byteLength(body);
  ctx.res.end(body);
}

async function translatedStream(io: MessagesIo, ctx: RequestContext, model: LlmModelSpec, up: Dispatcher.ResponseData): Promise<void> {
  const out = io.responseHeaders(ctx, model, up.headers);
  delete out['content-length'];
  delete out['content-encoding'];
  out['content-type'] = 'text/event-stream; charset=utf-8';
  out['cache-control'] = 'no-cache';
  const res = ctx.res;
  res.writeHead(200, out);
  res.flushHeaders();
  const tr = new OpenAIToAnthropicStream(model.name);
  const write = async (text: string): Promise<void> => {
    if (text === '' || res.destroyed) return;
    ctx.bytesOut += Buffer.byteLength(text);
    if (!res.write(text)) await drained(res);
  };
  try {
    // Runs to the upstream's end even after the last event, so the connection is reused.
    for await (const chunk of up.body as AsyncIterable<Buffer>) {
      if (res.destroyed) break;
      await write(tr.push(chunk));
      account(ctx, tr.usage);
    }
  } catch (err) {
    account(ctx, tr.usage);
    if (ctx.clientAborted || res.destroyed) return;
    const e = io.failure(err, true);
    ctx.errorCode = e.code;
    if (!tr.finished || tr.failed) writeAnthropicStreamError(res, e, ctx.id);
    else res.end();
    return;
  }
  // An upstream that gave its finish reason but no [DONE] still finished its answer.
  if (!tr.finished && tr.sawFinish) await write(tr.end());
  account(ctx, tr.usage);
  if (res.destroyed) return;
  if (tr.failed) {
    ctx.errorCode = 'AE_UPSTREAM_ERROR';
    io.upstreamError('AE_UPSTREAM_ERROR');
    writeAnthropicStreamError(res, new GatewayError('AE_UPSTREAM_ERROR'), ctx.id);
    return;
  }
  if (!tr.finished) {
    const e = new GatewayError('AE_UPSTREAM_STREAM_ABORTED', { detail: `stream of model ${model.name} ended before its last event` });
    io.upstreamError(e.code);
    ctx.errorCode = e.code;
    writeAnthropicStreamError(res, e, ctx.id);
    return;
  }
  res.end();
}

/** Re-shapes an upstream error answer in Anthropic shape (statuses as in openai-errors.ts). */
async function relayError(io: MessagesIo, ctx: RequestContext, model: LlmModelSpec, up: Dispatcher.ResponseData): Promise<void> {
  const status = up.statusCode;
  let text = '';
  try {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of up.body as AsyncIterable<Buffer>) {
      chunks.push(chunk);
      size += chunk.length;
      if (size >= MAX_ERROR_BODY) { up.body.destroy(); break; }
    }
    text = Buffer.concat(chunks).subarray(0, MAX_ERROR_BODY).toString('utf8');
  } catch {
    // A broken error body still has its status.
  }
  if (ctx.clientAborted) return;
  if (!PASSED_STATUSES.has(status)) {
    io.upstreamError('AE_UPSTREAM_ERROR');
    throw new GatewayError('AE_UPSTREAM_ERROR', { detail: `upstream answered ${status} for model ${model.name}` });
  }
  const out = io.responseHeaders(ctx, model, up.headers);
  const body = anthropicUpstreamErrorBody(status, text, model);
  out['content-type'] = 'application/json';
  out['content-length'] = String(Buffer.byteLength(body));
  delete out['content-encoding'];
  ctx.res.writeHead(status, out);
  ctx.res.end(body);
}

/**
 * Passes Anthropic SSE bytes through whole events at a time (so an error event can follow
 * cleanly), reading usage from message_start and message_delta.
 */
class AnthropicSseUsage {
  usage: Usage | null = null;
  #held: Buffer | null = null;

  push(chunk: Buffer): Buffer {
    let buf = chunk;
    if (this.#held !== null) {
      buf = Buffer.concat([this.#held, chunk]);
      this.#held = null;
    }
    const end = sseEventEnd(buf);
    if (end < buf.length && buf.length - end <= HOLD_LIMIT) {
      this.#held = buf.subarray(end);
      buf = buf.subarray(0, end);
    }
    if (buf.includes('"usage"')) this.#read(buf.toString('utf8'));
    return buf;
  }

  flush(): Buffer | null {
    const held = this.#held;
    this.#held = null;
    return held;
  }

  #read(text: string): void {
    for (const ev of text.split(/\r\n\r\n|\n\n|\r\r/)) {
      if (!ev.includes('"usage"')) continue;
      let data = '';
      for (const line of ev.split(/\r\n|\n|\r/)) {
        if (line.startsWith('data:')) data += (data === '' ? '' : '\n') + line.slice(line.charCodeAt(5) === 32 ? 6 : 5);
      }
      let obj: unknown;
      try { obj = JSON.parse(data); } catch { continue; }
      if (!isObject(obj)) continue;
      const u = obj.type === 'message_start' && isObject(obj.message) ? obj.message.usage : obj.usage;
      if (isObject(u)) this.usage = mergeUsage(this.usage, u);
    }
  }
}

/** Gateway usage from Anthropic usage: input counts cache reads and writes too (as the OpenAI front does). */
function mergeUsage(prev: Usage | null, u: Record<string, unknown>): Usage {
  const n = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
  const input = n(u.input_tokens);
  const inputTokens = input === null ? prev?.inputTokens ?? null : input + (n(u.cache_read_input_tokens) ?? 0) + (n(u.cache_creation_input_tokens) ?? 0);
  return { inputTokens, outputTokens: n(u.output_tokens) ?? prev?.outputTokens ?? null };
}

function jsonUsage(chunks: Buffer[]): Usage | null {
  try {
    const obj: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    return isObject(obj) && isObject(obj.usage) ? mergeUsage(null, obj.usage) : null;
  } catch {
    return null;
  }
}

function sendJson(ctx: RequestContext, value: unknown): void {
  const body = JSON.stringify(value);
  const out: OutgoingHttpHeaders = { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)), 'x-request-id': ctx.id };
  if (ctx.responseHeaders !== null) Object.assign(out, ctx.responseHeaders);
  ctx.res.writeHead(200, out);
  ctx.res.end(body);
  ctx.bytesOut += Buffer.byteLength(body);
}

function account(ctx: RequestContext, usage: Usage | null): void {
  if (ctx.llm === null || usage === null) return;
  ctx.llm.inputTokens = usage.inputTokens;
  ctx.llm.outputTokens = usage.outputTokens;
}

function drained(res: ServerResponse): Promise<void> {
  if (res.destroyed) return Promise.resolve();
  return new Promise<void>((resolve) => {
    const done = (): void => { res.off('drain', done); res.off('close', done); resolve(); };
    res.once('drain', done);
    res.once('close', done);
  });
}
