// The upstream client: one undici Pool per backend (keep-alive, bounded connections),
// wrapped in small interceptors composed in one documented order:
//
//   retryUnsent  →  pool
//
// retryUnsent re-dispatches a request that provably never reached the upstream (the
// connection was refused or never opened) when its body can be replayed. Timeouts are
// the pool's own (connect, headersTimeout, bodyTimeout); egress guard and tracing join
// this list in later issues. classifyUpstreamError maps what undici throws onto our codes.
import { Pool, type Dispatcher } from 'undici';
import { GatewayError, type ErrorCode } from './errors.js';

export interface UpstreamOptions {
  origin: string;
  connections: number;
  connectTimeoutMs: number;
  responseTimeoutMs: number;
  idleTimeoutMs: number;
  retries: number;
  /** Called once per retry, for metrics. */
  onRetry?: () => void;
}

export interface Upstream {
  readonly dispatcher: Dispatcher;
  close(): Promise<void>;
  destroy(): Promise<void>;
}

export function createUpstream(o: UpstreamOptions): Upstream {
  const pool = new Pool(o.origin, {
    connections: o.connections,
    pipelining: 1,
    connect: { timeout: o.connectTimeoutMs },
    headersTimeout: o.responseTimeoutMs,
    bodyTimeout: o.idleTimeoutMs,
    keepAliveTimeout: 4_000,
    keepAliveMaxTimeout: 60_000,
  });
  const dispatcher = o.retries > 0 ? pool.compose(retryUnsent(o.retries, o.onRetry)) : pool;
  return {
    dispatcher,
    close: () => pool.close(),
    destroy: () => pool.destroy(),
  };
}

const UNSENT = new Set(['ECONNREFUSED', 'UND_ERR_CONNECT_TIMEOUT', 'EADDRNOTAVAIL', 'ENETUNREACH', 'EHOSTUNREACH']);

/** True when the error proves the request never left this process. */
export function provablyUnsent(err: unknown): boolean {
  const code = (err as { code?: string } | null)?.code;
  return code !== undefined && UNSENT.has(code);
}

/** Retries dispatches that failed before a connection existed; replayable bodies only. */
export function retryUnsent(retries: number, onRetry?: () => void): Dispatcher.DispatcherComposeInterceptor {
  return function retryUnsentInterceptor(dispatch) {
    return function dispatchWithRetry(opts, handler) {
      const replayable = opts.body === null || opts.body === undefined || typeof opts.body === 'string' || opts.body instanceof Uint8Array;
      if (!replayable) return dispatch(opts, handler);
      let attempt = 0;
      let started = false;
      const wrapper: Dispatcher.DispatchHandler = {
        onRequestStart: (c, ctx) => handler.onRequestStart?.(c, ctx),
        onRequestUpgrade: (c, s, h, sock) => { started = true; handler.onRequestUpgrade?.(c, s, h, sock); },
        onResponseStart: (c, s, h, m) => { started = true; handler.onResponseStart?.(c, s, h, m); },
        onResponseData: (c, chunk) => handler.onResponseData?.(c, chunk),
        onResponseEnd: (c, t) => handler.onResponseEnd?.(c, t),
        onResponseError(c, err) {
          if (!started && attempt < retries && provablyUnsent(err) && !c.aborted) {
            attempt++;
            onRetry?.();
            dispatch(opts, wrapper);
            return;
          }
          handler.onResponseError?.(c, err);
        },
      };
      return dispatch(opts, wrapper);
    };
  };
}

/** Maps an upstream failure onto a gateway error code; details stay in logs. */
export function classifyUpstreamError(err: unknown): GatewayError {
  if (err instanceof GatewayError) return err;
  const code = (err as { code?: string } | null)?.code ?? '';
  let ae: ErrorCode;
  switch (code) {
    case 'UND_ERR_HEADERS_TIMEOUT':
    case 'UND_ERR_CONNECT_TIMEOUT':
    case 'UND_ERR_BODY_TIMEOUT':
      ae = 'AE_UPSTREAM_TIMEOUT';
      break;
    case 'UND_ERR_RES_CONTENT_LENGTH_MISMATCH':
    case 'UND_ERR_RES_EXCEEDED_MAX_SIZE':
      ae = 'AE_UPSTREAM_STREAM_ABORTED';
      break;
    default:
      ae = code.startsWith('HPE_') || (err as Error | null)?.name === 'HTTPParserError' ? 'AE_UPSTREAM_PROTOCOL' : 'AE_UPSTREAM_UNAVAILABLE';
  }
  return new GatewayError(ae, { cause: err, detail: `${code || (err as Error | null)?.name || 'error'}: ${(err as Error | null)?.message ?? String(err)}` });
}
