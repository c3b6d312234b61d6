// The `http` backend: a streaming reverse proxy on undici's dispatch API. The response is
// written to the client chunk by chunk with backpressure both ways (a slow client pauses
// the upstream); a client that leaves aborts the upstream; a failure before the response
// started becomes a JSON error, after it an SSE error event (for event streams) or a
// reset, never a truncated response that looks complete.
//
// Small request bodies with a Content-Length are read first (replayable, so a refused
// connection can be retried); larger or chunked bodies stream through a counting
// wrapper that enforces the route's size limit and the body idle timeout.
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { Readable } from 'node:stream';
import type { Dispatcher } from 'undici';
import type { HttpBackendSpec, RouteSpec } from '../config/index.js';
import type { RequestContext } from './context.js';
import { GatewayError } from './errors.js';
import { downstreamResponseHeaders, upstreamRequestHeaders } from './headers.js';
import { writeError } from './render.js';
import { classifyUpstreamError, createUpstream, type Upstream } from './upstream.js';
import { writeSseError } from './sse.js';

/** Bodies up to this size with a Content-Length are buffered before dispatch. */
const BUFFER_BODY_LIMIT = 64 * 1024;

export interface ProxyObserver {
  upstreamError(backend: string, code: string): void;
  upstreamRetry(backend: string): void;
}

export interface BodyLimits {
  maxBodyBytes: number;
  bodyIdleTimeoutMs: number;
}

export class HttpBackend {
  readonly kind = 'http';
  readonly spec: HttpBackendSpec;
  readonly #upstream: Upstream;
  readonly #observer: ProxyObserver;

  constructor(spec: HttpBackendSpec, observer: ProxyObserver) {
    this.spec = spec;
    this.#observer = observer;
    this.#upstream = createUpstream({
      origin: spec.origin,
      connections: spec.connections,
      connectTimeoutMs: spec.connectTimeoutMs,
      responseTimeoutMs: spec.responseTimeoutMs,
      idleTimeoutMs: spec.idleTimeoutMs,
      retries: spec.retries,
      onRetry: () => observer.upstreamRetry(spec.name),
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

  headersFor(ctx: RequestContext, upgrade?: string): Record<string, string | string[]> {
    const host = ctx.req.headers.host;
    return upstreamRequestHeaders(ctx.req.headers, {
      clientAddress: ctx.clientAddress,
      proto: ctx.secure ? 'https' : 'http',
      host,
      requestId: ctx.id,
      upstreamHost: this.spec.preserveHost && host ? host : this.spec.host,
      upgrade,
    });
  }

  /** Proxies one request; resolves when the response is finished or abandoned. */
  handle(ctx: RequestContext, route: RouteSpec, limits: BodyLimits): Promise<void> {
    const req = ctx.req;
    const hasBody = req.headers['content-length'] !== undefined ? req.headers['content-length'] !== '0' : req.headers['transfer-encoding'] !== undefined;
    const opts: Dispatcher.DispatchOptions = {
      path: this.upstreamPath(ctx, route),
      method: ctx.method,
      headers: this.headersFor(ctx),
      body: null,
    };
    if (!hasBody) return this.#dispatch(ctx, opts, null);
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared <= BUFFER_BODY_LIMIT && declared <= limits.maxBodyBytes) {
      return readSmallBody(ctx, declared, limits.bodyIdleTimeoutMs).then(
        (body) => this.#dispatch(ctx, { ...opts, body }, null),
        (err: unknown) => { failBeforeUpstream(ctx, err); },
      );
    }
    const body = new LimitedBody(ctx, limits.maxBodyBytes, limits.bodyIdleTimeoutMs);
    return this.#dispatch(ctx, { ...opts, body }, body);
  }

  #dispatch(ctx: RequestContext, opts: Dispatcher.DispatchOptions, body: LimitedBody | null): Promise<void> {
    if (ctx.clientAborted) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const handler = new ResponseWriter(ctx, this.spec.name, this.#observer, resolve);
      body?.attach(handler);
      ctx.upstreamStartedAt = performance.now();
      this.#upstream.dispatcher.dispatch(opts, handler);
    });
  }

  /** Proxies a WebSocket (or other) upgrade; the two sockets are then piped together. */
  async upgrade(ctx: RequestContext, route: RouteSpec, socket: Duplex, head: Buffer): Promise<void> {
    const protocol = String(ctx.req.headers.upgrade ?? 'websocket');
    const headers = this.headersFor(ctx);
    try {
      const { headers: upHeaders, socket: upstream } = await this.#upstream.dispatcher.upgrade({
        path: this.upstreamPath(ctx, route),
        method: ctx.method,
        headers,
        protocol,
      });
      const lines = ['HTTP/1.1 101 Switching Protocols', 'connection: Upgrade', `upgrade: ${protocol}`];
      for (const [k, v] of Object.entries(downstreamResponseHeaders(upHeaders))) {
        for (const one of Array.isArray(v) ? v : [v]) lines.push(`${k}: ${String(one)}`);
      }
      lines.push(`x-request-id: ${ctx.id}`);
      socket.write(lines.join('\r\n') + '\r\n\r\n');
      if (head.length > 0) upstream.write(head);
      upstream.pipe(socket).pipe(upstream);
      await new Promise<void>((resolve) => {
        const done = () => { upstream.destroy(); socket.destroy(); resolve(); };
        upstream.once('close', done).once('error', done);
        socket.once('close', done).once('error', done);
      });
    } catch (err) {
      const e = classifyUpstreamError(err);
      ctx.errorCode = e.code;
      this.#observer.upstreamError(this.spec.name, e.code);
      throw e;
    }
  }
}

/** Writes the upstream response to the client as it arrives. One terminal outcome only. */
class ResponseWriter implements Dispatcher.DispatchHandler {
  #controller: Dispatcher.DispatchController | null = null;
  #done = false;
  #sse = false;
  readonly #ctx: RequestContext;
  readonly #backend: string;
  readonly #observer: ProxyObserver;
  readonly #resolve: () => void;
  readonly #onClose: () => void;
  readonly #onDrain: () => void;

  constructor(ctx: RequestContext, backend: string, observer: ProxyObserver, resolve: () => void) {
    this.#ctx = ctx;
    this.#backend = backend;
    this.#observer = observer;
    this.#resolve = resolve;
    this.#onDrain = () => this.#controller?.resume();
    this.#onClose = () => {
      if (this.#done) return;
      this.#ctx.clientAborted = true;
      this.abort(new GatewayError('AE_INTERNAL', { detail: 'client closed the connection' }));
    };
    ctx.res.once('close', this.#onClose);
  }

  /** Aborts the upstream exchange (client gone, body limit, body timeout). */
  abort(err: Error): void {
    if (this.#controller && !this.#controller.aborted) this.#controller.abort(err);
    else this.#pendingAbort = err;
  }
  #pendingAbort: Error | null = null;

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.#controller = controller;
    if (this.#pendingAbort) controller.abort(this.#pendingAbort);
  }

  onResponseStart(_c: Dispatcher.DispatchController, statusCode: number, headers: Record<string, string | string[] | undefined>): void {
    const ctx = this.#ctx;
    ctx.upstreamHeadersAt = performance.now();
    if (statusCode < 200) return;
    const out = downstreamResponseHeaders(headers);
    out['x-request-id'] = ctx.id;
    if (ctx.responseHeaders) Object.assign(out, ctx.responseHeaders);
    const ct = headers['content-type'];
    this.#sse = typeof ct === 'string' && ct.startsWith('text/event-stream');
    ctx.res.writeHead(statusCode, out);
    if (this.#sse) ctx.res.flushHeaders();
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    this.#ctx.bytesOut += chunk.length;
    if (!this.#ctx.res.write(chunk)) {
      controller.pause();
      this.#ctx.res.once('drain', this.#onDrain);
    }
  }

  onResponseEnd(): void {
    if (this.#finish()) this.#ctx.res.end();
  }

  onResponseError(_c: Dispatcher.DispatchController, err: Error): void {
    if (!this.#finish()) return;
    const ctx = this.#ctx;
    if (ctx.clientAborted) return;
    const e = classifyUpstreamError(err);
    ctx.errorCode = e.code;
    if (!(err instanceof GatewayError)) this.#observer.upstreamError(this.#backend, e.code);
    if (!ctx.res.headersSent) {
      if (e.code === 'AE_BODY_TOO_LARGE' || e.code === 'AE_REQUEST_TIMEOUT') ctx.res.setHeader('connection', 'close');
      writeError(ctx.res, e, ctx.id, ctx.render);
    } else if (this.#sse) {
      writeSseError(ctx.res, e, ctx.id);
    } else {
      ctx.res.destroy(e);
    }
  }

  #finish(): boolean {
    if (this.#done) return false;
    this.#done = true;
    this.#ctx.res.off('close', this.#onClose);
    this.#resolve();
    return true;
  }
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
  readonly #onError = (err: Error): void => { this.#clear(); this.destroy(err); };

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

function readSmallBody(ctx: RequestContext, declared: number, idleMs: number): Promise<Buffer> {
  return new Promise<Buffer>((resolve, reject) => {
    const req = ctx.req;
    const chunks: Buffer[] = [];
    let timer: NodeJS.Timeout | null = null;
    if (idleMs > 0) timer = setTimeout(() => fail(new GatewayError('AE_REQUEST_TIMEOUT', { detail: 'request body idle timeout' })), idleMs);
    const cleanup = () => {
      if (timer) clearTimeout(timer);
      req.off('data', onData).off('end', onEnd).off('error', fail).off('aborted', onAborted);
      ctx.res.off('close', onAborted);
    };
    const fail = (err: Error) => { cleanup(); reject(err); };
    const onAborted = () => { if (!req.complete) { ctx.clientAborted = true; fail(new GatewayError('AE_BAD_REQUEST', { detail: 'client closed during the request body' })); } };
    const onData = (c: Buffer) => { chunks.push(c); ctx.bytesIn += c.length; timer?.refresh(); };
    const onEnd = () => { cleanup(); resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, declared)); };
    req.on('data', onData).once('end', onEnd).once('error', fail).once('aborted', onAborted);
    ctx.res.once('close', onAborted);
  });
}

function failBeforeUpstream(ctx: RequestContext, err: unknown): void {
  if (ctx.clientAborted) return;
  const e = err instanceof GatewayError ? err : new GatewayError('AE_BAD_REQUEST', { cause: err });
  ctx.errorCode = e.code;
  ctx.res.setHeader('connection', 'close');
  writeError(ctx.res, e, ctx.id, ctx.render);
}
