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
import { GatewayError, rawHttpError, handleRequest, handleUpgrade, type ListenerRuntime, type PipelineHooks, type ErrorCode } from '../core/index.js';

export interface ListenerEvents {
  rejected(listener: string, reason: string): void;
}

export class DownstreamListener {
  readonly spec: ListenerSpec;
  readonly server: http.Server;
  #runtime: ListenerRuntime;
  readonly #hooks: PipelineHooks;
  readonly #upgraded = new Set<Duplex>();
  #inFlight = 0;
  #idleWaiters: (() => void)[] = [];

  constructor(runtime: ListenerRuntime, hooks: PipelineHooks, events: ListenerEvents) {
    this.spec = runtime.spec;
    this.#runtime = runtime;
    this.#hooks = hooks;
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
      this.#inFlight++;
      res.once('close', this.#requestDone);
      handleRequest(this.#runtime, req, res, this.#hooks, secure);
    };
    this.server = secure
      ? https.createServer({ ...options, cert: runtime.spec.tls.cert, key: runtime.spec.tls.key }, onRequest)
      : http.createServer(options, onRequest);
    this.server.maxHeadersCount = l.maxHeaderCount + 1;
    this.server.timeout = l.idleTimeoutMs;
    this.server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
      const reason = clientErrorCode(err);
      events.rejected(this.spec.name, reason ?? err.code ?? 'socket');
      if (reason === null || !socket.writable || (socket as Socket & { _httpMessage?: unknown })._httpMessage) {
        socket.destroy();
        return;
      }
      socket.end(rawHttpError(new GatewayError(reason), '-'));
    });
    this.server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
      this.#upgraded.add(socket);
      socket.once('close', () => this.#upgraded.delete(socket));
      socket.on('error', () => socket.destroy());
      handleUpgrade(this.#runtime, req, socket, head, this.#hooks, secure);
    });
  }

  readonly #requestDone = (): void => {
    this.#inFlight--;
    if (this.#inFlight === 0) for (const w of this.#idleWaiters.splice(0)) w();
  };

  get runtime(): ListenerRuntime { return this.#runtime; }
  /** Swaps routes for new requests; in-flight ones keep what they started with. */
  set runtime(r: ListenerRuntime) { this.#runtime = r; }
  get inFlight(): number { return this.#inFlight; }

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
    if (this.#inFlight > 0) {
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

function clientErrorCode(err: NodeJS.ErrnoException): ErrorCode | null {
  switch (err.code) {
    case 'HPE_HEADER_OVERFLOW': return 'AE_HEADERS_TOO_LARGE';
    case 'ERR_HTTP_REQUEST_TIMEOUT': return 'AE_REQUEST_TIMEOUT';
    case 'ECONNRESET': case 'EPIPE': return null;
    default: return 'AE_BAD_REQUEST';
  }
}
