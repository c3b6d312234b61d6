// The `llm` backend handler for the OpenAI front: P/chat/completions, P/embeddings and
// P/models under the route prefix P. The request body is parsed once; only `model` (to the
// upstream name) and, for streams, `stream_options` change, everything else is re-serialised
// as the client sent it, so a provider's new field never needs us. The backend's key is
// injected and the client's credentials never leave the gateway. Providers with their own
// wire format (anthropic) go through providers/ instead: the request is translated, and so
// is the answer, event by event for streams.
//
// Responses stream through with backpressure: SSE event by event (usage is read in
// passing, see usage.ts), JSON as it comes with usage read from its tail. An upstream that
// dies mid-stream ends the client's stream with one OpenAI error event; a client that goes
// away aborts the upstream request.
import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { Dispatcher } from 'undici';
import type { LlmBackendSpec, LlmModelSpec, RouteSpec } from '../config/index.js';
import { HTTP_BACKEND_DEFAULTS } from '../config/index.js';
import {
  classifyUpstreamError, createUpstream, GatewayError, upstreamRequestHeaders,
  type BackendHandler, type BodyLimits, type ProxyObserver, type RequestContext, type Upstream, type UpstreamHeaders,
} from '../core/index.js';
import { ClientGoneError, parseJsonObject, readBody } from './body.js';
import { isObject, PASSED_STATUSES, renderOpenAIError, upstreamErrorBody, writeOpenAIStreamError } from './openai-errors.js';
import { TRANSLATED_PROVIDERS, type ChatProvider, type ChatTranslation, type StreamTranslator, type UpstreamCall } from './providers/index.js';
import { JsonUsageTail, OpenAIStreamUsage, type Usage } from './usage.js';
import { renderAnthropicError } from './anthropic-errors.js';
import { serveMessages, type MessagesIo } from './messages.js';

type Endpoint = 'chat/completions' | 'embeddings';

/** Client headers never sent upstream: credentials (the backend has its own), and ones we set. */
const DROP_REQUEST_HEADERS = [
  'authorization', 'x-api-key', 'api-key', 'cookie', 'openai-organization', 'openai-project',
  'content-length', 'accept-encoding', 'x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host',
];

/** Upstream response headers passed to the client; the rest (cookies, account ids) stay here. */
const PASS_RESPONSE_HEADERS = ['content-type', 'content-length', 'content-encoding', 'cache-control', 'retry-after', 'openai-processing-ms'];

/** Largest upstream error body read (to re-shape it); the rest is discarded. */
const MAX_ERROR_BODY = 64 * 1024;

/** Largest translated (non-OpenAI) JSON answer read; it has to be parsed whole. */
const MAX_TRANSLATED_JSON = 32 * 1024 * 1024;

/** Longest model name echoed back in a not-found message. */
const MAX_ECHOED_NAME = 256;

export class LlmBackend implements BackendHandler {
  readonly kind = 'llm';
  readonly spec: LlmBackendSpec;
  readonly #byName: ReadonlyMap<string, LlmModelSpec>;
  /** One pool per upstream origin, shared by the models that live there. */
  readonly #pools = new Map<string, Upstream>();
  readonly #observer: ProxyObserver;

  constructor(spec: LlmBackendSpec, observer: ProxyObserver) {
    this.spec = spec;
    this.#observer = observer;
    this.#byName = new Map(spec.models.map((m) => [m.name, m]));
    for (const m of spec.models) {
      if (this.#pools.has(m.origin)) continue;
      this.#pools.set(m.origin, createUpstream({
        origin: m.origin,
        connections: HTTP_BACKEND_DEFAULTS.connections,
        connectTimeoutMs: HTTP_BACKEND_DEFAULTS.connectTimeoutMs,
        responseTimeoutMs: m.timeoutMs,
        idleTimeoutMs: m.timeoutMs,
        retries: 0,
      }));
    }
  }

  async close(): Promise<void> { await Promise.all([...this.#pools.values()].map((p) => p.close())); }
  async destroy(): Promise<void> { await Promise.all([...this.#pools.values()].map((p) => p.destroy())); }

  handle(ctx: RequestContext, route: RouteSpec, limits: BodyLimits): void | Promise<void> {
    ctx.render = renderOpenAIError;
    const sub = subPath(ctx.path, route.pathPrefix);
    if (ctx.method === 'POST') {
      if (sub === '/chat/completions') return this.#forward(ctx, limits, 'chat/completions');
      if (sub === '/embeddings') return this.#forward(ctx, limits, 'embeddings');
      // The Anthropic front (messages.ts): its errors in Anthropic shape.
      if (sub === '/messages' || sub === '/messages/count_tokens') {
        ctx.render = renderAnthropicError;
        return this.#messages(ctx, limits, sub === '/messages/count_tokens');
      }
    } else if (ctx.method === 'GET') {
      if (sub === '/models') return this.#listModels(ctx);
      if (sub.startsWith('/models/')) return this.#getModel(ctx, sub.slice('/models/'.length));
    }
    throw new GatewayError('AE_ROUTE_NOT_FOUND', { message: 'This LLM route serves POST chat/completions, POST embeddings, POST messages, POST messages/count_tokens and GET models.' });
  }

  #listModels(ctx: RequestContext): void {
    sendJson(ctx, 200, { object: 'list', data: this.spec.models.map(modelObject) });
  }

  #getModel(ctx: RequestContext, encoded: string): void {
    let id = encoded;
    try { id = decodeURIComponent(encoded); } catch { /* keep it as sent */ }
    const m = this.#byName.get(id);
    if (m === undefined) throw modelNotFound(id);
    sendJson(ctx, 200, modelObject(m));
  }

  /** P/messages and P/messages/count_tokens: the Anthropic front (messages.ts) on this backend's upstreams. */
  async #messages(ctx: RequestContext, limits: BodyLimits, countTokens: boolean): Promise<void> {
    let raw: Buffer;
    try {
      raw = await readBody(ctx, limits);
    } catch (err) {
      if (err instanceof ClientGoneError) return;
      throw err;
    }
    const body = parseJsonObject(raw);
    if (typeof body.model !== 'string') throw new GatewayError('AE_BAD_REQUEST', { message: 'The request must name a model in "model".' });
    const model = this.#byName.get(body.model);
    if (model === undefined) throw modelNotFound(body.model);
    const io: MessagesIo = {
      send: (c, m, path, headers, payload) => this.#send(c, m, path, headers, payload),
      headers: (c, m, payload, call) => this.#requestHeaders(c, m, payload, call),
      failure: (err, started) => this.#failure(err, started),
      upstreamError: (code) => { this.#observer.upstreamError(this.spec.name, code); },
      responseHeaders,
    };
    return serveMessages(io, ctx, model, body, countTokens);
  }

  async #forward(ctx: RequestContext, limits: BodyLimits, endpoint: Endpoint): Promise<void> {
    let raw: Buffer;
    try {
      raw = await readBody(ctx, limits);
    } catch (err) {
      if (err instanceof ClientGoneError) return;
      throw err;
    }
    const body = parseJsonObject(raw);
    if (typeof body.model !== 'string') throw new GatewayError('AE_MODEL_NOT_FOUND', { message: 'The request must name a model in "model".' });
    const model = this.#byName.get(body.model);
    if (model === undefined) throw modelNotFound(body.model);

    const stream = endpoint === 'chat/completions' && body.stream === true;
    ctx.llm = { model: model.name, provider: model.provider, stream, inputTokens: null, outputTokens: null };
    const provider = TRANSLATED_PROVIDERS[model.provider];
    if (provider !== undefined) return this.#forwardTranslated(ctx, model, provider, body, endpoint, stream);
    body.model = model.upstreamModel;
    let clientWantsUsage = false;
    if (stream) {
      const so = body.stream_options;
      clientWantsUsage = isObject(so) && so.include_usage === true;
      body.stream_options = isObject(so) ? { ...so, include_usage: true } : { include_usage: true };
    }
    const payload = JSON.stringify(body);
    const sent = await this.#send(ctx, model, `${model.basePath}/${endpoint}${ctx.query}`, this.#requestHeaders(ctx, model, payload, null), payload);
    if (sent === null) return;
    try {
      if (sent.res.statusCode >= 400) await this.#relayError(ctx, model, sent.res);
      else await this.#relay(ctx, model, sent.res, stream ? new OpenAIStreamUsage(!clientWantsUsage) : null);
    } finally {
      sent.settle();
    }
  }

  /** A provider with its own wire format (providers/): translate the request, then the answer. */
  async #forwardTranslated(
    ctx: RequestContext, model: LlmModelSpec, provider: ChatProvider, body: Record<string, unknown>, endpoint: Endpoint, stream: boolean,
  ): Promise<void> {
    if (endpoint !== 'chat/completions') {
      throw new GatewayError('AE_BAD_REQUEST', { message: `The model "${model.name}" (provider ${model.provider}) does not serve ${endpoint}.` });
    }
    const includeUsage = stream && isObject(body.stream_options) && body.stream_options.include_usage === true;
    const t = provider.chat(body, model, includeUsage);
    const sent = await this.#send(ctx, model, t.call.path, this.#requestHeaders(ctx, model, t.call.body, t.call), t.call.body);
    if (sent === null) return;
    try {
      if (sent.res.statusCode >= 400) await this.#relayError(ctx, model, sent.res, t);
      else if (stream) await this.#relayTranslatedStream(ctx, model, sent.res, t.stream());
      else await this.#relayTranslatedJson(ctx, model, sent.res, t);
    } finally {
      sent.settle();
    }
  }

  /**
   * Sends the request upstream; null when it failed because the client went away. A client
   * that goes away before `settle` aborts the upstream request.
   */
  async #send(
    ctx: RequestContext, model: LlmModelSpec, path: string, headers: Record<string, string | string[]>, payload: string,
  ): Promise<{ res: Dispatcher.ResponseData; settle: () => void } | null> {
    const ac = new AbortController();
    let settled = false;
    ctx.onEnd(() => {
      if (settled) return;
      if (!ctx.res.writableFinished) ctx.clientAborted = true;
      ac.abort();
    });
    ctx.upstreamStartedAt = performance.now();
    let res: Dispatcher.ResponseData;
    try {
      res = await this.#pools.get(model.origin)!.dispatcher.request({
        path,
        method: 'POST',
        headers,
        body: payload,
        signal: ac.signal,
        headersTimeout: model.timeoutMs,
        bodyTimeout: model.timeoutMs,
      });
    } catch (err) {
      settled = true;
      if (ctx.clientAborted) return null;
      throw this.#failure(err, false);
    }
    ctx.upstreamHeadersAt = performance.now();
    return { res, settle: () => { settled = true; } };
  }

  #requestHeaders(ctx: RequestContext, model: LlmModelSpec, payload: string, call: UpstreamCall | null): Record<string, string | string[]> {
    const h = upstreamRequestHeaders(ctx.req.headers, {
      clientAddress: ctx.clientAddress,
      proto: ctx.secure ? 'https' : 'http',
      host: undefined,
      requestId: ctx.id,
      upstreamHost: model.host,
    });
    for (const name of DROP_REQUEST_HEADERS) delete h[name];
    if (call !== null) {
      for (const name of call.dropHeaders) delete h[name];
      Object.assign(h, call.headers);
    }
    for (const [name, value] of Object.entries(model.headers)) h[name.toLowerCase()] = value;
    h['content-type'] = 'application/json';
    h['content-length'] = String(Buffer.byteLength(payload));
    h['accept-encoding'] = 'identity';
    if (call === null && model.apiKey !== null) h.authorization = `Bearer ${model.apiKey.reveal()}`;
    return h;
  }

  /** Streams a successful upstream answer to the client. */
  async #relay(ctx: RequestContext, model: LlmModelSpec, up: Dispatcher.ResponseData, sse: OpenAIStreamUsage | null): Promise<void> {
    const ct = up.headers['content-type'];
    const isSse = typeof ct === 'string' && ct.startsWith('text/event-stream');
    const filter = isSse && sse !== null && up.headers['content-encoding'] === undefined ? sse : null;
    const tail = isSse ? null : new JsonUsageTail();
    const out = responseHeaders(ctx, model, up.headers);
    // Dropping the usage chunk changes the length.
    if (filter !== null) delete out['content-length'];
    const res = ctx.res;
    res.writeHead(up.statusCode, out);
    if (isSse) res.flushHeaders();
    try {
      for await (const chunk of up.body as AsyncIterable<Buffer>) {
        // The client is gone: the abort (ctx.onEnd above) ends this loop; write nothing more.
        if (res.destroyed) break;
        let bytes = chunk;
        if (filter !== null) bytes = filter.push(chunk);
        else tail?.push(chunk);
        if (bytes.length === 0) continue;
        ctx.bytesOut += bytes.length;
        if (!res.write(bytes)) await drained(res);
      }
    } catch (err) {
      account(ctx, filter?.usage ?? null);
      if (ctx.clientAborted || res.destroyed) return;
      const e = this.#failure(err, true);
      ctx.errorCode = e.code;
      if (isSse) writeOpenAIStreamError(res, e);
      else res.destroy();
      return;
    }
    account(ctx, filter !== null ? filter.usage : tail?.usage() ?? null);
    if (res.destroyed) return;
    const held = filter?.flush() ?? null;
    if (held !== null) ctx.bytesOut += held.length;
    res.end(held ?? undefined);
  }

  /** Translates a whole JSON answer (bounded: it has to be parsed whole). */
  async #relayTranslatedJson(ctx: RequestContext, model: LlmModelSpec, up: Dispatcher.ResponseData, t: ChatTranslation): Promise<void> {
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
      if (ctx.clientAborted) return;
      throw this.#failure(err, false);
    }
    if (ctx.clientAborted || ctx.res.destroyed) return;
    const { body, usage } = t.json(Buffer.concat(chunks).toString('utf8'));
    account(ctx, usage);
    const out = responseHeaders(ctx, model, up.headers);
    delete out['content-encoding'];
    out['content-type'] = 'application/json';
    out['content-length'] = String(Buffer.byteLength(body));
    ctx.res.writeHead(200, out);
    ctx.bytesOut += Buffer.byteLength(body);
    ctx.res.end(body);
  }

  /** Translates a streamed answer event by event, with backpressure; one terminal event. */
  async #relayTranslatedStream(ctx: RequestContext, model: LlmModelSpec, up: Dispatcher.ResponseData, tr: StreamTranslator): Promise<void> {
    const out = responseHeaders(ctx, model, up.headers);
    delete out['content-length'];
    delete out['content-encoding'];
    out['content-type'] = 'text/event-stream; charset=utf-8';
    out['cache-control'] = 'no-cache';
    const res = ctx.res;
    res.writeHead(200, out);
    res.flushHeaders();
    try {
      // The loop runs to the upstream's end even after the terminal event, so the connection is reused.
      for await (const chunk of up.body as AsyncIterable<Buffer>) {
        if (res.destroyed) break;
        const text = tr.push(chunk);
        if (text === '') continue;
        // Accounted as it goes: a client that goes away is logged as soon as it has gone.
        account(ctx, tr.usage);
        ctx.bytesOut += Buffer.byteLength(text);
        if (!res.write(text)) await drained(res);
      }
    } catch (err) {
      account(ctx, tr.usage);
      if (ctx.clientAborted || res.destroyed) return;
      const e = this.#failure(err, true);
      ctx.errorCode = e.code;
      if (!tr.finished) writeOpenAIStreamError(res, e);
      else res.end();
      return;
    }
    account(ctx, tr.usage);
    if (res.destroyed) return;
    if (tr.failed) {
      ctx.errorCode = 'AE_UPSTREAM_ERROR';
      this.#observer.upstreamError(this.spec.name, 'AE_UPSTREAM_ERROR');
    } else if (!tr.finished) {
      const e = new GatewayError('AE_UPSTREAM_STREAM_ABORTED', { detail: `stream of model ${model.name} ended before its last event` });
      this.#observer.upstreamError(this.spec.name, e.code);
      ctx.errorCode = e.code;
      writeOpenAIStreamError(res, e);
      return;
    }
    res.end();
  }

  /** Re-shapes an upstream error answer (see openai-errors.ts). */
  async #relayError(ctx: RequestContext, model: LlmModelSpec, up: Dispatcher.ResponseData, t?: ChatTranslation): Promise<void> {
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
      this.#observer.upstreamError(this.spec.name, 'AE_UPSTREAM_ERROR');
      throw new GatewayError('AE_UPSTREAM_ERROR', { detail: `upstream answered ${status} for model ${model.name}` });
    }
    const out = responseHeaders(ctx, model, up.headers);
    const body = t?.errorBody?.(status, text, up.headers) ?? upstreamErrorBody(status, text, model);
    out['content-type'] = 'application/json';
    out['content-length'] = String(Buffer.byteLength(body));
    delete out['content-encoding'];
    ctx.res.writeHead(status, out);
    ctx.res.end(body);
  }

  /** Maps an upstream failure to a gateway error and counts it. */
  #failure(err: unknown, started: boolean): GatewayError {
    let e = classifyUpstreamError(err);
    // A socket that fails once the response started means the body was cut short.
    if (started && e.code === 'AE_UPSTREAM_UNAVAILABLE') e = new GatewayError('AE_UPSTREAM_STREAM_ABORTED', { cause: err, detail: e.message });
    if (!(err instanceof GatewayError)) this.#observer.upstreamError(this.spec.name, e.code);
    return e;
  }
}

/** The path under the route prefix, with a leading and without a trailing slash. */
function subPath(path: string, prefix: string | null): string {
  let sub = prefix ? path.slice(prefix.length) : path;
  if (sub.length > 1 && sub.endsWith('/')) sub = sub.slice(0, -1);
  return sub.startsWith('/') ? sub : '/' + sub;
}

function modelNotFound(name: string): GatewayError {
  const shown = name.length > MAX_ECHOED_NAME ? `${name.slice(0, MAX_ECHOED_NAME)}…` : name;
  return new GatewayError('AE_MODEL_NOT_FOUND', { message: `The model "${shown}" does not exist or is not served on this route.` });
}

function modelObject(m: LlmModelSpec): { id: string; object: 'model'; created: number; owned_by: string } {
  return { id: m.name, object: 'model', created: 0, owned_by: m.provider };
}

function responseHeaders(ctx: RequestContext, model: LlmModelSpec, upstream: UpstreamHeaders): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {};
  for (const name of PASS_RESPONSE_HEADERS) {
    const v = upstream[name];
    if (v !== undefined) out[name] = v;
  }
  for (const name in upstream) if (name.startsWith('x-ratelimit-')) out[name] = upstream[name];
  if (ctx.responseHeaders !== null) Object.assign(out, ctx.responseHeaders);
  out['x-request-id'] = ctx.id;
  out['x-agentedge-model'] = model.name;
  out['x-agentedge-provider'] = model.provider;
  return out;
}

function sendJson(ctx: RequestContext, status: number, value: unknown): void {
  const body = JSON.stringify(value);
  const out: OutgoingHttpHeaders = { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)), 'x-request-id': ctx.id };
  if (ctx.responseHeaders !== null) Object.assign(out, ctx.responseHeaders);
  ctx.res.writeHead(status, out);
  ctx.res.end(body);
  ctx.bytesOut += Buffer.byteLength(body);
}

function account(ctx: RequestContext, usage: Usage | null): void {
  if (ctx.llm === null || usage === null) return;
  ctx.llm.inputTokens = usage.inputTokens;
  ctx.llm.outputTokens = usage.outputTokens;
}

/** Resolves when the client can take more, or has gone (the loop then ends on the abort). */
function drained(res: ServerResponse): Promise<void> {
  if (res.destroyed) return Promise.resolve();
  return new Promise<void>((resolve) => {
    const done = (): void => { res.off('drain', done); res.off('close', done); resolve(); };
    res.once('drain', done);
    res.once('close', done);
  });
}
