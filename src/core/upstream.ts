// The upstream stack: every upstream call of every protocol (an http backend's requests and
// upgrades, each attempt of an LLM call, and the MCP / A2A / guardrail calls to come) goes
// through one dispatch built here: an undici Pool per backend or origin (keep-alive,
// pipelining 1), wrapped in small interceptors composed in one documented order:
//
//   concurrencyLimit → retryUnsent → [stack interceptors] → pool   (requests)
//   concurrencyLimit →               [stack interceptors] → pool   (upgrades: never retried)
//
// concurrencyLimit (concurrency-limit.ts) caps the requests in flight, with a bounded wait
// queue and a wait timeout, and refuses the rest with a fast 503 and retry-after. It comes
// first, so a request holds one slot across its retries. A pool shared by several callers
// with caps of their own (an llm backend's models on one origin) gives each a chain of its
// own with `limited`. Without a cap the chain has no limit at all (nothing per request).
//
// retryUnsent re-dispatches a request that provably never reached the upstream (the
// connection was refused or never opened) when its body can be replayed, within a retry
// budget. Retries that depend on what the upstream answered (a 429 or 5xx, with backoff and
// retry-after) belong to the protocol that knows what may be replayed where: the LLM walk
// (llm/backend.ts) retries and fails over across models, and each of its attempts is one
// dispatch of this stack.
//
// Stack interceptors (UpstreamStack) are the slots the gateway fills for every upstream at
// once: tracing (a span per attempt) and the egress/SSRF check. They sit inside the retry,
// so each attempt passes them; with none, nothing is added to a request.
//
// Timeouts are the pool's own: connect; headersTimeout (our `response`: request sent →
// response headers); bodyTimeout (our `idle`: between body chunks, and undici does not
// count it while we have paused the response for a slow client). undici runs these on
// coarse timers (~0.5 s ticks), so they fire up to a second late: cheap per request, fine
// for timeouts of seconds. classifyUpstreamError maps what undici throws onto our codes.
import type { Duplex } from 'node:stream';
import { Pool, type Dispatcher } from 'undici';
import { ConcurrencyLimit, type ConcurrencyLimitOptions } from './concurrency-limit.js';
import { GatewayError, type ErrorCode } from './errors.js';

/** Headers as undici parses them (its own IncomingHttpHeaders, not exported by name). */
export type UpstreamHeaders = Record<string, string | string[] | undefined>;

export interface UpstreamOptions {
  origin: string;
  /** The pool's most open connections; null: no limit. */
  connections: number | null;
  connectTimeoutMs: number;
  responseTimeoutMs: number;
  idleTimeoutMs: number;
  retries: number;
  /** Called once per retry, for metrics. */
  onRetry?: () => void;
  /** The concurrency cap of `dispatch` and `upgrade`; none when absent. */
  limit?: ConcurrencyLimitOptions;
}

/** One interceptor of the stack, named so that stack traces and the docs say what it is. */
export interface UpstreamInterceptor {
  readonly name: string;
  readonly intercept: Dispatcher.DispatcherComposeInterceptor;
}

/**
 * The interceptors the gateway puts on every upstream it creates (tracing, egress check),
 * innermost last. Backends get it when they are built; a backend kept across a reload keeps
 * the stack it was built with.
 */
export class UpstreamStack {
  readonly interceptors: readonly UpstreamInterceptor[];
  constructor(interceptors: readonly UpstreamInterceptor[] = []) {
    this.interceptors = Object.freeze([...interceptors]);
  }

  /** `dispatch` wrapped in the stack's interceptors (the first one outermost). */
  wrap(dispatch: Dispatcher.Dispatch): Dispatcher.Dispatch {
    let d = dispatch;
    for (let i = this.interceptors.length - 1; i >= 0; i--) d = this.interceptors[i]!.intercept(d);
    return d;
  }

  /** Creates an upstream whose every dispatch passes this stack. */
  create(o: UpstreamOptions): Upstream {
    return createUpstream(o, this);
  }
}

/** The stack with no interceptors of its own: the built-in ones only. */
export const BARE_STACK = new UpstreamStack();

export interface Upstream {
  /** The interceptor chain over the pool, as a plain function: the hot path calls it directly. */
  readonly dispatch: Dispatcher.Dispatch;
  /** For upgrades (WebSocket): the same cap and stack, no retry; the upgraded socket holds its slot until it closes. */
  readonly upgrade: Dispatcher.Dispatch;
  /**
   * The pool with the same chain as `dispatch`, as a Dispatcher: what clients that take one
   * (undici's request and fetch, SDK transports given a fetch) use, so they pass the stack too.
   */
  readonly dispatcher: Dispatcher;
  /** The chain behind a cap of its own, for one of several callers sharing this pool. */
  limited(limit: ConcurrencyLimitOptions): Dispatcher.Dispatch;
  close(): Promise<void>;
  destroy(): Promise<void>;
}

export function createUpstream(o: UpstreamOptions, stack: UpstreamStack = BARE_STACK): Upstream {
  const pool = new Pool(o.origin, {
    connections: o.connections,
    pipelining: 1,
    connect: { timeout: o.connectTimeoutMs },
    headersTimeout: o.responseTimeoutMs,
    bodyTimeout: o.idleTimeoutMs,
    keepAliveTimeout: 4_000,
    keepAliveMaxTimeout: 60_000,
  });
  const attempt = stack.wrap(pool.dispatch.bind(pool));
  const chain = o.retries > 0 ? retryUnsent(o.retries, new RetryBudget(), o.onRetry)(attempt) : attempt;
  const limit = o.limit === undefined ? null : new ConcurrencyLimit(o.limit).interceptor();
  const dispatch = limit === null ? chain : limit(chain);
  return {
    dispatch,
    upgrade: limit === null ? attempt : limit(attempt),
    dispatcher: pool.compose(function upstreamStack() { return dispatch; }),
    limited: (l) => new ConcurrencyLimit(l).interceptor()(chain),
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

/**
 * A retry budget per backend, a token bucket after Finagle's RetryBudget: every request
 * deposits 0.2 of a token, every retry withdraws one, the balance is capped at 10. So when
 * an upstream is down, retries add at most ~20% to its load (plus a burst of 10) instead
 * of multiplying it (RELIABILITY 19). No clock and no per-request allocation.
 */
export class RetryBudget {
  #tokens: number;
  readonly #ratio: number;
  readonly #max: number;

  constructor(ratio = 0.2, max = 10) {
    this.#ratio = ratio;
    this.#max = max;
    this.#tokens = max;
  }

  deposit(): void {
    if (this.#tokens < this.#max) this.#tokens = Math.min(this.#max, this.#tokens + this.#ratio);
  }

  withdraw(): boolean {
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }
}

/** Retries dispatches that failed before a connection existed; replayable bodies only. */
export function retryUnsent(retries: number, budget: RetryBudget, onRetry?: () => void): Dispatcher.DispatcherComposeInterceptor {
  return function retryUnsentInterceptor(dispatch) {
    return function dispatchWithRetry(opts, handler) {
      const body = opts.body;
      // A stream body is consumed by the first attempt: it cannot be sent again.
      if (body !== null && body !== undefined && typeof body !== 'string' && !(body instanceof Uint8Array)) return dispatch(opts, handler);
      budget.deposit();
      return dispatch(opts, new RetryUnsentHandler(dispatch, opts, handler, retries, budget, onRetry));
    };
  };
}

/** Passes everything through; intercepts only an error that came before any connection. */
class RetryUnsentHandler implements Dispatcher.DispatchHandler {
  readonly #dispatch: Dispatcher['dispatch'];
  readonly #opts: Dispatcher.DispatchOptions;
  readonly #handler: Dispatcher.DispatchHandler;
  readonly #budget: RetryBudget;
  readonly #onRetry: (() => void) | undefined;
  #left: number;
  /** onRequestStart is undici's "about to write the request": after it, never retry. */
  #connected = false;

  constructor(dispatch: Dispatcher['dispatch'], opts: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler, retries: number, budget: RetryBudget, onRetry: (() => void) | undefined) {
    this.#dispatch = dispatch;
    this.#opts = opts;
    this.#handler = handler;
    this.#left = retries;
    this.#budget = budget;
    this.#onRetry = onRetry;
  }

  onRequestStart(c: Dispatcher.DispatchController, context: unknown): void {
    this.#connected = true;
    this.#handler.onRequestStart?.(c, context);
  }

  onRequestUpgrade(c: Dispatcher.DispatchController, statusCode: number, headers: UpstreamHeaders, socket: Duplex): void {
    this.#handler.onRequestUpgrade?.(c, statusCode, headers, socket);
  }

  onResponseStart(c: Dispatcher.DispatchController, statusCode: number, headers: UpstreamHeaders, statusMessage?: string): void {
    this.#handler.onResponseStart?.(c, statusCode, headers, statusMessage);
  }

  onResponseData(c: Dispatcher.DispatchController, chunk: Buffer): void {
    this.#handler.onResponseData?.(c, chunk);
  }

  onResponseEnd(c: Dispatcher.DispatchController, trailers: UpstreamHeaders): void {
    this.#handler.onResponseEnd?.(c, trailers);
  }

  // `c` is undefined when the connection never opened: undici reports that error before
  // any controller exists (the types do not say so).
  onResponseError(c: Dispatcher.DispatchController | undefined, err: Error): void {
    if (!this.#connected && this.#left > 0 && provablyUnsent(err) && this.#budget.withdraw()) {
      this.#left--;
      this.#onRetry?.();
      // Not synchronously: undici is still iterating its failed queue and asserts it is empty.
      queueMicrotask(() => { this.#dispatch(this.#opts, this); });
      return;
    }
    this.#handler.onResponseError?.(c as Dispatcher.DispatchController, err);
  }
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
    case 'UND_ERR_HEADERS_OVERFLOW': // response headers over undici's maxHeaderSize
    case 'ERR_INVALID_CHAR': // a response header Node refuses to write downstream
    case 'ERR_HTTP_INVALID_HEADER_VALUE':
    case 'ERR_INVALID_HTTP_TOKEN':
      ae = 'AE_UPSTREAM_PROTOCOL';
      break;
    default:
      ae = code.startsWith('HPE_') || (err as Error | null)?.name === 'HTTPParserError' ? 'AE_UPSTREAM_PROTOCOL' : 'AE_UPSTREAM_UNAVAILABLE';
  }
  return new GatewayError(ae, { cause: err, detail: `${code || (err as Error | null)?.name || 'error'}: ${(err as Error | null)?.message ?? String(err)}` });
}
