// A listener: one node:http or node:https server with the limits of its spec. It asks
// for the current routes on every request, so a reload swaps routing without touching
// the socket; requests already running keep the runtime they started with.
// Parse failures, oversized headers and slow clients are answered here, before any
// route runs (RELIABILITY 1, 5, 6), as JSON with `connection: close`.
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { ListenerSpec } from '../config/index.js';
import { GatewayError, rawHttpError, failInFlight, handleRequest, handleUpgrade, type ListenerRuntime, type PipelineHooks, type ErrorCode } from '../core/index.js';

export class DownstreamListener {
  readonly spec: ListenerSpec;
  readonly server: http.Server;
  #runtime: ListenerRuntime;
  readonly #hooks: PipelineHooks;
  readonly #upgraded = new Set<Duplex>();
  /** Responses not yet closed: what a drain waits for. */
  readonly #inFlight = new Set<http.ServerResponse>();
  #idleWaiters: (() => void)[] = [];

  /**
   * `hooks.observer` hears this listener's refusals (downstreamRejected) as the pipeline
   * reports its own (header count, framing, body size), and every request's events.
   */
  constructor(runtime: ListenerRuntime, hooks: PipelineHooks) {
    this.spec = runtime.spec;
    this.#runtime = runtime;
    const observer = hooks.observer;
    // Delegating (not spreading) keeps working when hooks is a class instance.
    this.#hooks = {
      observer,
      // The pipeline's one 'close' listener per request ends here: no second one for the drain count.
      closed: (ctx) => { this.#requestDone(ctx.res); hooks.closed?.(ctx); },
      draining: () => hooks.draining(),
    };
    const l = runtime.spec.limits;
    const headersTimeout = Math.min(l.headersTimeoutMs, l.requestTimeoutMs || l.headersTimeoutMs);
    const options: http.ServerOptions = {
      maxHeaderSize: l.maxHeaderBytes,
      headersTimeout,
      requestTimeout: l.requestTimeoutMs,
      keepAliveTimeout: l.keepAliveTimeoutMs,
      connectionsCheckingInterval: Math.max(50, Math.min(1000, Math.floor(headersTimeout / 4))),
      requireHostHeader: false,
      noDelay: true,
      insecureHTTPParser: false,
    };
    const secure = runtime.spec.tls !== null;
    const onRequest = (req: http.IncomingMessage, res: http.ServerResponse) => {
      this.#inFlight.add(res);
      handleRequest(this.#runtime, req, res, this.#hooks, secure);
    };
    this.server = secure
      ? https.createServer({ ...options, cert: runtime.spec.tls.cert, key: runtime.spec.tls.key }, onRequest)
      : http.createServer(options, onRequest);
    this.server.maxHeadersCount = l.maxHeaderCount + 1;
    this.server.timeout = l.idleTimeoutMs;
    this.server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
      const refusal = clientErrorRefusal(err);
      // Not writable: a reset, or an error after our answer was already sent (llhttp
      // reports the client's FIN as HPE_INVALID_EOF_STATE); neither is a new refusal.
      if (refusal === null || !socket.writable) {
        socket.destroy();
        return;
      }
      const inFlight = (socket as Socket & { _httpMessage?: http.ServerResponse | null })._httpMessage;
      if (inFlight) {
        // A request was already handed to the pipeline and then its body failed to parse.
        // If the pipeline had already refused it (and counted that), let the answer flush.
        if (inFlight.writableEnded) {
          (socket as Socket).destroySoon();
          return;
        }
        observer.downstreamRejected?.(this.spec.name, refusal.reason);
        // The response closes the connection once written; the handler then sees its
        // client gone and aborts the upstream request.
        if (!failInFlight(inFlight, new GatewayError(refusal.code))) socket.destroy();
        return;
      }
      observer.downstreamRejected?.(this.spec.name, refusal.reason);
      socket.end(rawHttpError(new GatewayError(refusal.code), '-'));
      // A client that keeps sending instead of reading gets a bounded grace period.
      const linger = setTimeout(() => socket.destroy(), LINGER_MS).unref();
      socket.once('close', () => clearTimeout(linger));
    });
    this.server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
      this.#upgraded.add(socket);
      socket.once('close', () => this.#upgraded.delete(socket));
      socket.on('error', () => socket.destroy());
      handleUpgrade(this.#runtime, req, socket, head, this.#hooks, secure);
    });
  }

  #requestDone(res: http.ServerResponse): void {
    this.#inFlight.delete(res);
    if (this.#inFlight.size === 0) for (const w of this.#idleWaiters.splice(0)) w();
  }

  get runtime(): ListenerRuntime { return this.#runtime; }
  /** Swaps routes for new requests; in-flight ones keep what they started with. */
  set runtime(r: ListenerRuntime) { this.#runtime = r; }
  get inFlight(): number { return this.#inFlight.size; }

  listen(): Promise<AddressInfo> {
    return new Promise((resolve, reject) => {
      const onError = (err: Error) => reject(err);
      this.server.once('error', onError);
      this.server.listen({ host: this.spec.host, port: this.spec.port }, () => {
        this.server.off('error', onError);
        resolve(this.server.address() as AddressInfo);
      });
    });
  }

  get port(): number {
    return (this.server.address() as AddressInfo | null)?.port ?? this.spec.port;
  }

  /** Stops accepting, lets in-flight requests finish until the deadline, then cuts the rest. */
  async close(deadlineMs: number): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeIdleConnections();
    // A response not yet started tells its client to close: a keep-alive client would
    // otherwise send its next request on a socket about to be cut.
    for (const res of this.#inFlight) if (!res.headersSent) res.setHeader('connection', 'close');
    if (this.#inFlight.size > 0) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        new Promise<void>((resolve) => this.#idleWaiters.push(resolve)),
        new Promise<void>((resolve) => { timer = setTimeout(resolve, deadlineMs); }),
      ]);
      clearTimeout(timer);
    }
    this.server.closeAllConnections();
    for (const s of this.#upgraded) s.destroy();
    await closed;
  }
}

/** How long a refused connection may stay half-open so the client can read the answer. */
const LINGER_MS = 2000;

interface Refusal { readonly code: ErrorCode; readonly reason: string }
const HEADER_BYTES: Refusal = { code: 'AE_HEADERS_TOO_LARGE', reason: 'header_bytes' };
const TIMEOUT: Refusal = { code: 'AE_REQUEST_TIMEOUT', reason: 'timeout' };
const PARSE: Refusal = { code: 'AE_BAD_REQUEST', reason: 'parse_error' };

/** Maps a parser or socket error to what the client is told; null for a client that left. */
function clientErrorRefusal(err: NodeJS.ErrnoException): Refusal | null {
  switch (err.code) {
    case 'HPE_HEADER_OVERFLOW': return HEADER_BYTES;
    case 'ERR_HTTP_REQUEST_TIMEOUT': return TIMEOUT;
    case 'ECONNRESET': case 'EPIPE': case 'ETIMEDOUT': return null;
    default: return PARSE;
  }
}
