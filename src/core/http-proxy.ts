// The `http` backend: a streaming reverse proxy on undici's dispatch API. The response is
// written to the client chunk by chunk with backpressure both ways (a slow client pauses
// the upstream, so memory stays at the socket high-water marks); a client that leaves
// aborts the upstream; a failure before the response started becomes a JSON error, after
// it an SSE error event (for event streams) or a reset, never a truncated response that
// looks complete.
//
// Small request bodies with a Content-Length are read first (replayable, so a refused
// connection can be retried); larger or chunked bodies stream through a counting
// wrapper that enforces the route's size limit and the body idle timeout.
//
// Hot path: per request one handler object (with its close listener), the two header
// objects and the promise the pipeline awaits; other closures only on backpressure,
// errors and upgrades. The request's one upstream attempt is reported to its observer
// (attemptStart/attemptEnd, then firstByte); its record is made only when subscribed.
import { STATUS_CODES, type IncomingMessage, type OutgoingHttpHeaders } from 'node:http';
import type { Duplex } from 'node:stream';
import { Readable } from 'node:stream';
import type { Dispatcher } from 'undici';
import type { RouteSpec } from '../config/index.js';
import type { HttpBackendSpec } from './http-spec.js';
import type { BodyLimits } from './pipeline.js';
import type { RequestContext } from './context.js';
import { GatewayError } from './errors.js';
import { downstreamResponseHeaders, upstreamRequestHeaders } from './headers.js';
import { replyError } from './render.js';
import { BARE_STACK, classifyUpstreamError, type Upstream, type UpstreamHeaders, type UpstreamStack } from './upstream.js';
import { beginAttempt, endAttempt, type RequestObserver, type UpstreamAttempt } from './observer.js';
import { sseErrorEvent } from './sse.js';
import { StreamRelay, type StreamErrorRenderer, type StreamSource } from './stream-stages.js';
import { ClientGoneError, readRequestBody } from './request-body.js';

/** Bodies up to this size with a Content-Length are buffered before dispatch. */
const BUFFER_BODY_LIMIT = 64 * 1024;
/**
 * Most bytes of one unfinished SSE event held back. A longer event is passed through as
 * it comes (a plain proxy does not refuse what it does not read; memory stays bounded);
 * an error inside it can then only abort the stream.
 */
const SSE_HOLD_LIMIT = 256 * 1024;

const NOTHING_WITHHELD: readonly string[] = Object.freeze([]);

export class HttpBackend {
  readonly kind = 'http';
  readonly spec: HttpBackendSpec;
  readonly #upstream: Upstream;
  /** For process-level events (retries, caps, errors); per-request events go to ctx.observer. */
  readonly #observer: RequestObserver;

  constructor(spec: HttpBackendSpec, observer: RequestObserver, stack: UpstreamStack = BARE_STACK) {
    this.spec = spec;
    this.#observer = observer;
    this.#upstream = stack.create({
      origin: spec.origin,
      connections: spec.connections,
      connectTimeoutMs: spec.connectTimeoutMs,
      responseTimeoutMs: spec.responseTimeoutMs,
      idleTimeoutMs: spec.idleTimeoutMs,
      retries: spec.retries,
      onRetry: () => observer.upstreamRetry?.(spec.name),
      limit: {
        max: spec.connections,
        queueSize: spec.queueSize,
        queueTimeoutMs: spec.queueTimeoutMs,
        onOverload: (reason) => observer.upstreamOverloaded?.(spec.name, spec.name, reason),
        onQueue: (delta) => observer.upstreamQueue?.(spec.name, spec.name, delta),
      },
    });
  }

  /** Finishes in-flight requests, then closes the pool. */
  close(): Promise<void> { return this.#upstream.close(); }
  destroy(): Promise<void> { return this.#upstream.destroy(); }

  upstreamPath(ctx: RequestContext, route: RouteSpec): string {
    let path = ctx.path;
    if (route.stripPrefix && route.pathPrefix) {
      path = path.slice(route.pathPrefix.length);
      if (path === '' || path.charCodeAt(0) !== 47) path = '/' + path;
    }
    const joined = this.spec.basePath + path;
    return (joined === '' ? '/' : joined) + ctx.query;
  }

  headersFor(ctx: RequestContext): Record<string, string | string[]> {
    const host = ctx.req.headers.host;
    return upstreamRequestHeaders(ctx.req.headers, {
      clientAddress: ctx.clientAddress,
      proto: ctx.secure ? 'https' : 'http',
      host,
      requestId: ctx.id,
      upstreamHost: this.spec.preserveHost && host ? host : this.spec.host,
      // The gateway's credential is its own, unless the upstream verifies it too (passthrough).
      withheld: this.spec.passthrough ? NOTHING_WITHHELD : ctx.credentialHeaders,
    });
  }

  /**
   * Proxies one request. Returns nothing: the exchange completes through undici's
   * callbacks and ends with the response, so no promise is made per request.
   */
  handle(ctx: RequestContext, route: RouteSpec, limits: BodyLimits): void {
    const h = ctx.req.headers;
    const opts: Dispatcher.DispatchOptions = {
      path: this.upstreamPath(ctx, route),
      method: ctx.method,
      headers: this.headersFor(ctx),
      body: null,
    };
    const cl = h['content-length'];
    if (cl === undefined ? h['transfer-encoding'] === undefined : cl === '0') return this.send(ctx, opts, null);
    const declared = Number(cl); // NaN when chunked: both tests below are then false
    if (declared <= BUFFER_BODY_LIMIT && declared <= limits.maxBodyBytes) {
      // Read first: a Buffer body can be replayed by the retry interceptor.
      readRequestBody(ctx, limits, (err, buf) => {
        if (err === null) {
          opts.body = buf;
          this.send(ctx, opts, null);
        } else if (!(err instanceof ClientGoneError)) {
          failBeforeUpstream(ctx, err);
        } else if (err.error !== null) {
          failBeforeUpstream(ctx, new GatewayError('AE_BAD_REQUEST', { cause: err.error, detail: 'request body error' }));
        }
      });
      return;
    }
    const body = new LimitedBody(ctx, limits.maxBodyBytes, limits.bodyIdleTimeoutMs);
    opts.body = body;
    this.send(ctx, opts, body);
  }

  /** Dispatches upstream; the ResponseWriter takes it from here. */
  send(ctx: RequestContext, opts: Dispatcher.DispatchOptions, body: LimitedBody | null): void {
    if (ctx.clientAborted) return;
    const writer = new ResponseWriter(ctx, this.spec, this.#observer);
    body?.attach(writer);
    this.#upstream.dispatch(opts, writer);
  }

  /**
   * Proxies a WebSocket (or other) upgrade. On 101 the two sockets are joined; any other
   * answer is relayed to the client as is. Rejects (for the pipeline to render) only when
   * nothing was written to the client.
   */
  upgrade(ctx: RequestContext, route: RouteSpec, socket: Duplex, head: Buffer): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const relay = new UpgradeRelay(ctx, socket, head, this.spec, this.#observer, resolve, reject);
      this.#upstream.upgrade({
        path: this.upstreamPath(ctx, route),
        method: ctx.method,
        headers: this.headersFor(ctx),
        upgrade: String(ctx.req.headers.upgrade ?? 'websocket'),
        body: null,
      }, relay);
    });
  }
}

/**
 * Writes the upstream response to the client as it arrives, through a StreamRelay (raw
 * bytes; an event stream in whole events, so an error can end it with one event). One
 * terminal outcome only.
 */
class ResponseWriter implements Dispatcher.DispatchHandler, StreamSource {
  #controller: Dispatcher.DispatchController | null = null;
  /** An abort asked for before undici handed us a controller (still connecting). */
  #pendingAbort: Error | null = null;
  #done = false;
  /** Set with the headers: relays the body. */
  #relay: StreamRelay | null = null;
  readonly #ctx: RequestContext;
  readonly #backend: string;
  readonly #observer: RequestObserver;
  /** The attempt until its outcome is reported; null once it was, or when nobody listens. */
  #attempt: UpstreamAttempt | null;

  constructor(ctx: RequestContext, spec: HttpBackendSpec, observer: RequestObserver) {
    this.#ctx = ctx;
    this.#backend = spec.name;
    this.#observer = observer;
    // Called when the response closes (pipeline's one 'close' listener); a no-op once done.
    ctx.onEnd(this.#onClose);
    this.#attempt = beginAttempt(ctx, spec.name, spec.origin, 1);
  }

  // The client went away, or someone else answered it (the listener refusing a malformed
  // body): either way the upstream exchange is moot.
  readonly #onClose = (): void => {
    if (this.#done) return;
    if (!this.#ctx.res.writableFinished) this.#ctx.clientAborted = true;
    this.abort(new GatewayError('AE_INTERNAL', { detail: 'client closed the connection' }));
  };

  /** Aborts the upstream exchange (client gone, body limit, body timeout). */
  abort(err: Error): void {
    if (this.#controller !== null) {
      if (!this.#controller.aborted) this.#controller.abort(err); // → onResponseError
      return;
    }
    // Still connecting: answer now, and cancel the request as soon as it gets a socket.
    this.#pendingAbort = err;
    if (this.#finish()) this.#fail(err);
  }

  // Backpressure from the relay: stop reading the upstream socket until the client catches up.
  pause(): void { if (this.#controller !== null && !this.#controller.paused) this.#controller.pause(); }
  resume(): void { this.#controller?.resume(); }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.#controller = controller;
    if (this.#pendingAbort !== null) controller.abort(this.#pendingAbort);
  }

  onResponseStart(_c: Dispatcher.DispatchController, statusCode: number, headers: UpstreamHeaders): void {
    if (statusCode < 200) return;
    const ctx = this.#ctx;
    this.#attempt = endAttempt(ctx, this.#attempt, statusCode, null);
    const out = downstreamResponseHeaders(headers);
    out['x-request-id'] = ctx.id;
    if (ctx.responseHeaders !== null) addFilterHeaders(out, ctx.responseHeaders);
    const ct = headers['content-type'];
    const sse = typeof ct === 'string' && ct.startsWith('text/event-stream');
    this.#relay = new StreamRelay(ctx, this, sse ? {
      framing: 'sse', maxEventBytes: SSE_HOLD_LIMIT, release: true, heldAtEnd: 'pass',
      stages: NO_STAGES, renderError: renderSseError, failure: this.#failure,
    } : { framing: 'raw', stages: NO_STAGES, renderError: null, failure: this.#failure });
    ctx.res.writeHead(statusCode, out);
    ctx.observer.firstByte?.(ctx);
    // Event streams start now, not with the first event (clients wait on the headers).
    if (sse) ctx.res.flushHeaders();
  }

  onResponseData(_c: Dispatcher.DispatchController, chunk: Buffer): void {
    // undici hands over an empty chunk on every resume after a pause: nothing to write.
    if (chunk.length !== 0) this.#relay!.onData(chunk);
  }

  onResponseEnd(): void {
    // The upstream may end inside an event: the relay passes it on as it was (clients discard it).
    if (this.#finish()) this.#relay!.onEnd();
  }

  // `c` is undefined when the connection never opened (see upstream.ts).
  onResponseError(_c: Dispatcher.DispatchController | undefined, err: Error): void {
    if (this.#finish()) this.#fail(err);
  }

  /** The one error outcome: nothing if the client left, else a JSON error, SSE error event or reset. */
  #fail(err: Error): void {
    const ctx = this.#ctx;
    const res = ctx.res;
    if (ctx.clientAborted || res.destroyed || res.writableEnded) {
      if (!res.writableFinished) ctx.clientAborted = true;
      this.#attempt = endAttempt(ctx, this.#attempt, 0, 'aborted');
      return;
    }
    if (res.headersSent && this.#relay !== null) {
      // An SSE error event (what was held of an unfinished event is dropped), or a reset.
      this.#relay.onError(err);
      return;
    }
    const e = this.#failure(err);
    ctx.errorCode = e.code;
    if (e.code === 'AE_BODY_TOO_LARGE' || e.code === 'AE_REQUEST_TIMEOUT') res.setHeader('connection', 'close');
    replyError(ctx, e);
  }

  /** The gateway error for an upstream failure, counted when the upstream caused it. */
  readonly #failure = (err: unknown): GatewayError => {
    const headersSent = this.#ctx.res.headersSent;
    let e = classifyUpstreamError(err);
    // The same socket failure means "cut mid-body" once headers went out; a length
    // mismatch before that can only come from a parse error (undici reports it so).
    if (headersSent ? e.code === 'AE_UPSTREAM_UNAVAILABLE' : e.code === 'AE_UPSTREAM_STREAM_ABORTED') {
      e = new GatewayError(headersSent ? 'AE_UPSTREAM_STREAM_ABORTED' : 'AE_UPSTREAM_PROTOCOL', { cause: err, detail: e.message });
    }
    this.#attempt = endAttempt(this.#ctx, this.#attempt, 0, e.code);
    if (!(err instanceof GatewayError)) this.#observer.upstreamError?.(this.#backend, e.code);
    return e;
  };

  #finish(): boolean {
    if (this.#done) return false;
    this.#done = true;
    return true;
  }
}

const NO_STAGES: readonly never[] = Object.freeze([]);
const renderSseError: StreamErrorRenderer = (ctx, err) => sseErrorEvent(err, ctx.id);

/** Relays an upgrade request: joins the sockets on 101, passes any other answer back. */
class UpgradeRelay implements Dispatcher.DispatchHandler {
  #controller: Dispatcher.DispatchController | null = null;
  /** Bytes (a status line) were written to the client: errors can no longer be rendered. */
  #answered = false;
  #settled = false;
  readonly #ctx: RequestContext;
  readonly #socket: Duplex;
  readonly #head: Buffer;
  readonly #backend: string;
  readonly #observer: RequestObserver;
  readonly #resolve: () => void;
  readonly #reject: (err: GatewayError) => void;
  #attempt: UpstreamAttempt | null;

  constructor(ctx: RequestContext, socket: Duplex, head: Buffer, spec: HttpBackendSpec, observer: RequestObserver, resolve: () => void, reject: (err: GatewayError) => void) {
    this.#ctx = ctx;
    this.#socket = socket;
    this.#head = head;
    this.#backend = spec.name;
    this.#observer = observer;
    this.#resolve = resolve;
    this.#reject = reject;
    socket.once('close', this.#onClientClose);
    this.#attempt = beginAttempt(ctx, spec.name, spec.origin, 1);
  }

  /** The upstream answered: its outcome, then (once our status line is written) the first byte. */
  #answer(statusCode: number): void {
    const ctx = this.#ctx;
    this.#attempt = endAttempt(ctx, this.#attempt, statusCode, null);
    this.#answered = true;
    ctx.res.statusCode = statusCode;
  }

  readonly #onClientClose = (): void => {
    if (this.#settled) return;
    this.#ctx.clientAborted = true;
    const err = new GatewayError('AE_INTERNAL', { detail: 'client closed the connection' });
    if (this.#controller !== null) this.#controller.abort(err);
    else this.#settle(null); // cancelled when it connects (onRequestStart)
  };

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.#controller = controller;
    if (this.#ctx.clientAborted) controller.abort(new GatewayError('AE_INTERNAL', { detail: 'client closed the connection' }));
  }

  onRequestUpgrade(_c: Dispatcher.DispatchController, statusCode: number, headers: UpstreamHeaders, upstream: Duplex): void {
    const socket = this.#socket;
    socket.off('close', this.#onClientClose);
    this.#answer(statusCode);
    if (socket.destroyed) {
      upstream.destroy();
      this.#settle(null);
      return;
    }
    const upgrade = typeof headers.upgrade === 'string' ? headers.upgrade : String(this.#ctx.req.headers.upgrade);
    socket.write(`HTTP/1.1 101 Switching Protocols\r\nconnection: Upgrade\r\nupgrade: ${upgrade}\r\n${headerLines(downstreamResponseHeaders(headers))}x-request-id: ${this.#ctx.id}\r\n\r\n`);
    this.#ctx.observer.firstByte?.(this.#ctx);
    if (this.#head.length > 0) upstream.write(this.#head);
    joinSockets(socket, upstream, () => this.#settle(null));
  }

  onResponseStart(_c: Dispatcher.DispatchController, statusCode: number, headers: UpstreamHeaders): void {
    if (statusCode < 200) return;
    // Refused (401, 404, …): relay the answer, close-delimited, then close.
    const out = downstreamResponseHeaders(headers);
    delete out['content-length'];
    this.#answer(statusCode);
    this.#socket.write(`HTTP/1.1 ${statusCode} ${STATUS_CODES[statusCode] ?? 'Unknown'}\r\n${headerLines(out)}x-request-id: ${this.#ctx.id}\r\nconnection: close\r\n\r\n`);
    this.#ctx.observer.firstByte?.(this.#ctx);
  }

  onResponseData(_c: Dispatcher.DispatchController, chunk: Buffer): void {
    this.#socket.write(chunk);
  }

  onResponseEnd(): void {
    this.#socket.end();
    this.#settle(null);
  }

  onResponseError(_c: Dispatcher.DispatchController | undefined, err: Error): void {
    if (this.#settled) return;
    const ctx = this.#ctx;
    if (ctx.clientAborted) {
      this.#attempt = endAttempt(ctx, this.#attempt, 0, 'aborted');
      return this.#settle(null);
    }
    const e = classifyUpstreamError(err);
    ctx.errorCode = e.code;
    this.#attempt = endAttempt(ctx, this.#attempt, 0, e.code);
    if (!(err instanceof GatewayError)) this.#observer.upstreamError?.(this.#backend, e.code);
    if (this.#answered) {
      this.#socket.destroy();
      return this.#settle(null);
    }
    this.#ctx.res.statusCode = e.status;
    this.#settle(e);
  }

  #settle(err: GatewayError | null): void {
    if (this.#settled) return;
    this.#settled = true;
    this.#socket.off('close', this.#onClientClose);
    if (err === null) this.#resolve();
    else this.#reject(err);
  }
}

function headerLines(headers: OutgoingHttpHeaders): string {
  let s = '';
  for (const name in headers) {
    const v = headers[name];
    if (Array.isArray(v)) for (const one of v) s += `${name}: ${one}\r\n`;
    else if (v !== undefined) s += `${name}: ${String(v)}\r\n`;
  }
  return s;
}

/**
 * Pipes two sockets both ways. When one closes, the other is ended (its pending bytes,
 * such as a WebSocket close frame, are flushed first) and then destroyed; an error on
 * either destroys both.
 */
function joinSockets(a: Duplex, b: Duplex, done: () => void): void {
  let open = 2;
  const closed = (other: Duplex) => (): void => {
    endThenDestroy(other);
    if (--open === 0) done();
  };
  const fail = (): void => { a.destroy(); b.destroy(); };
  a.on('error', fail).once('close', closed(b)).pipe(b);
  b.on('error', fail).once('close', closed(a)).pipe(a);
}

function endThenDestroy(s: Duplex): void {
  if (s.destroyed) return;
  s.end();
  if (s.writableFinished) s.destroy();
  else s.once('finish', () => s.destroy());
}

/** Streams a request body upstream, counting bytes and watching for idle clients. */
class LimitedBody extends Readable {
  readonly #req: IncomingMessage;
  readonly #ctx: RequestContext;
  readonly #max: number;
  readonly #idleMs: number;
  #timer: NodeJS.Timeout | null = null;
  #writer: ResponseWriter | null = null;

  constructor(ctx: RequestContext, max: number, idleMs: number) {
    super({ highWaterMark: 64 * 1024 });
    this.#ctx = ctx;
    this.#req = ctx.req;
    this.#max = max;
    this.#idleMs = idleMs;
    this.#req.on('data', this.#onData);
    this.#req.once('end', this.#onEnd);
    this.#req.once('error', this.#onError);
    this.#arm();
  }

  attach(writer: ResponseWriter): void { this.#writer = writer; }

  readonly #onData = (chunk: Buffer): void => {
    this.#ctx.bytesIn += chunk.length;
    if (this.#ctx.bytesIn > this.#max) {
      this.#fail(new GatewayError('AE_BODY_TOO_LARGE'));
      return;
    }
    this.#arm();
    if (!this.push(chunk)) this.#req.pause();
  };
  readonly #onEnd = (): void => { this.#clear(); this.push(null); };
  // The downstream request failed (the client reset mid-body): that is a client abort.
  readonly #onError = (err: Error): void => { this.#clear(); this.#ctx.clientAborted = true; this.destroy(err); };

  override _read(): void { this.#req.resume(); }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    this.#clear();
    this.#req.off('data', this.#onData);
    cb(err);
  }

  #arm(): void {
    if (this.#idleMs <= 0) return;
    if (this.#timer) this.#timer.refresh();
    else this.#timer = setTimeout(() => this.#fail(new GatewayError('AE_REQUEST_TIMEOUT', { detail: 'request body idle timeout' })), this.#idleMs);
  }

  #clear(): void {
    if (this.#timer) { clearTimeout(this.#timer); this.#timer = null; }
  }

  #fail(err: GatewayError): void {
    this.#clear();
    this.#req.off('data', this.#onData);
    this.#req.pause();
    this.#ctx.errorCode = err.code;
    this.#writer?.abort(err);
  }
}

function failBeforeUpstream(ctx: RequestContext, err: unknown): void {
  if (ctx.clientAborted) return;
  const e = err instanceof GatewayError ? err : new GatewayError('AE_BAD_REQUEST', { cause: err });
  if (!ctx.res.headersSent) ctx.res.setHeader('connection', 'close');
  replyError(ctx, e);
}

/** Filter headers (CORS) join the upstream's; a `vary` is merged, never replaced. */
function addFilterHeaders(out: Record<string, string | string[] | number | undefined>, added: Record<string, string>): void {
  for (const name in added) {
    const v = added[name]!;
    const prev = out[name];
    out[name] = name === 'vary' && prev !== undefined ? `${Array.isArray(prev) ? prev.join(', ') : String(prev)}, ${v}` : v;
  }
}
