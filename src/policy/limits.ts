// Rate limits and budgets, over the state store (src/state).
//
// Rate limits count in fixed windows aligned to the clock (every replica agrees on the
// window without talking to the others): a request limit is hit once per request in the
// rateLimit phase, or once per call in the call gate when its key reads the call's protocol
// variable (a per-tool limit: `apiKey.name + "/" + mcp.tool.name`); a token limit is
// charged the call's estimate (input tokens, plus max_tokens when the request sets it) once
// the model is known, and trued up to the provider's usage when the call ends. A window lets through at most its limit; across a
// window boundary a burst of up to twice the limit is possible (the price of needing no
// coordination beyond one atomic counter).
//
// Budgets are check-and-reserve: a call reserves its estimated cost (input estimate and
// max_tokens, or `reserveOutputTokens`, at the target's price) and is refused when
// spent + reserved + this reservation would exceed the budget; when it ends, the
// reservation is replaced by the actual cost (partial usage on a client abort, an
// estimate when the provider never said), or released when nothing was spent. So spend
// can pass the budget only by what calls in flight cost beyond their reservations:
// bounded by (calls in flight) × (actual − reserved), which is 0 for calls whose
// max_tokens is set and whose input estimate is not low.
import type { BudgetSpec, RateLimitSpec, RateSpec } from '../config/index.js';
import { GatewayError, type RequestContext, type UsageMeter } from '../core/index.js';
import { windowStartOf } from '../state/shared.js';
import type { MaybePromise, StateStore, WindowHit } from '../state/types.js';
import type { CelPhase } from './cel.js';

/** Turns a request into the key a limit or budget counts per. */
export type KeyOf = (ctx: RequestContext) => string;

/** The caller: its identity when authenticated, else its address. */
export function callerKey(ctx: RequestContext): string {
  const id = ctx.identity;
  return id === null ? `ip:${ctx.clientAddress}` : `${id.kind}:${id.name}`;
}

/** How long a budget reservation is held when its request never ends (a crashed replica). */
const RESERVATION_TTL_MS = 30 * 60_000;

/** OpenAI's x-ratelimit-reset-* format: "20ms", "1s", "6m0s", "1h2m3s". */
export function resetText(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.ceil(ms))}ms`;
  let s = Math.ceil(ms / 1000);
  const h = Math.floor(s / 3600);
  s -= h * 3600;
  const m = Math.floor(s / 60);
  s -= m * 60;
  if (h > 0) return `${h}h${m}m${s}s`;
  if (m > 0) return `${m}m${s}s`;
  return `${s}s`;
}

/** The header names of each kind, made once (not a template string per request). */
const RATE_HEADERS = {
  requests: { limit: 'x-ratelimit-limit-requests', remaining: 'x-ratelimit-remaining-requests', reset: 'x-ratelimit-reset-requests' },
  tokens: { limit: 'x-ratelimit-limit-tokens', remaining: 'x-ratelimit-remaining-tokens', reset: 'x-ratelimit-reset-tokens' },
} as const;

/** x-ratelimit-{limit,remaining,reset}-{requests,tokens}; a stricter limit's values win. */
function rateHeaders(ctx: RequestContext, kind: 'requests' | 'tokens', rate: RateSpec, hit: WindowHit, now: number): void {
  const names = RATE_HEADERS[kind];
  const remaining = Math.max(0, rate.limit - hit.count);
  const prev = ctx.responseHeaders?.[names.remaining];
  if (prev !== undefined && Number(prev) < remaining) return;
  ctx.addResponseHeader(names.limit, String(rate.limit));
  ctx.addResponseHeader(names.remaining, String(remaining));
  ctx.addResponseHeader(names.reset, resetText(hit.resetAt - now));
}

function limited(policy: string, kind: string, hit: WindowHit, now: number): GatewayError {
  const seconds = Math.max(1, Math.ceil((hit.resetAt - now) / 1000));
  return new GatewayError('AE_RATE_LIMITED', {
    detail: `rate limit ${policy} (${kind}) reached`,
    headers: { 'retry-after': String(seconds) },
  });
}

export function stateFailure(err: unknown, what: string): GatewayError {
  return new GatewayError('AE_STATE_UNAVAILABLE', { cause: err, detail: `${what}: ${err instanceof Error ? err.message : String(err)}` });
}

/** Calls `then` on a value or a promise of it, staying synchronous for a synchronous store. */
function after<T, R>(v: MaybePromise<T>, then: (t: T) => R): R | Promise<Awaited<R>> {
  return v instanceof Promise ? v.then(then) as Promise<Awaited<R>> : then(v);
}

export class RateLimit {
  /**
   * The phase its key needs: 'request', or the protocol whose variable it reads. A requests
   * limit keyed on a protocol variable counts that protocol's calls in its call gate (once
   * per call) instead of requests in the rateLimit phase.
   */
  readonly keyPhase: CelPhase;
  readonly #policy: string;
  readonly #spec: RateLimitSpec;
  readonly #keyOf: KeyOf;
  readonly #state: StateStore;

  constructor(policy: string, spec: RateLimitSpec, keyOf: KeyOf, state: StateStore, keyPhase: CelPhase = 'request') {
    this.#policy = policy;
    this.#spec = spec;
    this.#keyOf = keyOf;
    this.#state = state;
    this.keyPhase = keyPhase;
  }

  get limitsRequests(): boolean { return this.#spec.requests !== null; }
  get limitsTokens(): boolean { return this.#spec.tokens !== null; }

  /**
   * One request in the rateLimit phase, or one call in the call gate (a key that reads the
   * call's protocol variable). Throws (or rejects with) AE_RATE_LIMITED.
   */
  hitRequest(ctx: RequestContext): void | Promise<void> {
    const rate = this.#spec.requests!;
    const now = Date.now();
    const key = `rl|${this.#policy}|req|${this.#keyOf(ctx)}`;
    let hit: MaybePromise<WindowHit>;
    try {
      hit = this.#state.hit(key, rate.windowMs, rate.limit, 1, now);
    } catch (err) {
      throw stateFailure(err, 'rate limit');
    }
    const check = (h: WindowHit): void => {
      rateHeaders(ctx, 'requests', rate, h, now);
      if (!h.allowed) throw limited(this.#policy, 'requests', h, now);
    };
    if (hit instanceof Promise) return hit.then(check, (err: unknown) => { throw stateFailure(err, 'rate limit'); });
    check(hit);
  }

  /** The call gate: charges the call's estimated tokens; trues them up when the request ends. */
  chargeTokens(ctx: RequestContext, call: UsageMeter): void | Promise<void> {
    const rate = this.#spec.tokens!;
    const now = Date.now();
    const key = `rl|${this.#policy}|tok|${this.#keyOf(ctx)}`;
    const estimate = call.inputTokens() + (call.maxOutputTokens ?? 0);
    // The store's own window arithmetic: a true-up names the window by this start.
    const start = windowStartOf(now, rate.windowMs);
    const check = (h: WindowHit): void => {
      rateHeaders(ctx, 'tokens', rate, h, now);
      // A call bigger than the whole limit could never pass: it is refused like any other.
      if (!h.allowed) throw limited(this.#policy, 'tokens', h, now);
      ctx.onEnd(() => { this.#trueUp(call, key, rate, start, estimate); });
    };
    try {
      const r = after(this.#state.hit(key, rate.windowMs, rate.limit, estimate, now), check);
      if (r instanceof Promise) return r.catch((err: unknown) => { throw err instanceof GatewayError ? err : stateFailure(err, 'rate limit'); });
    } catch (err) {
      throw err instanceof GatewayError ? err : stateFailure(err, 'rate limit');
    }
  }

  #trueUp(call: UsageMeter, key: string, rate: RateSpec, start: number, estimate: number): void {
    // Nothing reported (the call failed before an answer): what was charged was not used.
    const delta = call.usedTokens() - estimate;
    if (delta === 0) return;
    try {
      const r = this.#state.adjust(key, rate.windowMs, start, delta);
      if (r instanceof Promise) r.catch(() => undefined);
    } catch {
      // A true-up that cannot be written leaves the estimate counted: the limit errs strict.
    }
  }
}

export interface BudgetEvents {
  /** A settle or release that failed (the store was down): logged, the reservation expires by itself. */
  failed(policy: string, err: unknown): void;
  /** A call under a budget to a model without a price: it cannot be charged. */
  unpriced(policy: string, model: string): void;
}

let reservationCounter = 0;

export class Budget {
  /** The phase its key needs: 'request', or the (metered) protocol whose variable it reads. */
  readonly keyPhase: CelPhase;
  readonly #policy: string;
  readonly #spec: BudgetSpec;
  readonly #keyOf: KeyOf;
  readonly #state: StateStore;
  readonly #events: BudgetEvents;

  constructor(policy: string, spec: BudgetSpec, keyOf: KeyOf, state: StateStore, events: BudgetEvents, keyPhase: CelPhase = 'request') {
    this.#policy = policy;
    this.#spec = spec;
    this.#keyOf = keyOf;
    this.#state = state;
    this.#events = events;
    this.keyPhase = keyPhase;
  }

  /** The bucket of this budget for the caller in the current period. */
  bucket(ctx: RequestContext, now = Date.now()): string {
    return `${this.#policy}|${this.#keyOf(ctx)}|${periodId(this.#spec.period, now)}`;
  }

  /** The call gate: reserves the call's estimated cost, or refuses it with AE_BUDGET_EXCEEDED. */
  reserve(ctx: RequestContext, call: UsageMeter): void | Promise<void> {
    const output = call.maxOutputTokens ?? this.#spec.reserveOutputTokens;
    const amount = call.costUsd(call.inputTokens(), output);
    if (amount === null) {
      // No price, no charge: said loudly, since a budget that cannot see a model's cost does not hold.
      this.#events.unpriced(this.#policy, call.target);
      return;
    }
    const bucket = this.bucket(ctx);
    const id = `${ctx.id}:${++reservationCounter}`;
    const check = (r: { ok: boolean; spentUsd: number; reservedUsd: number }): void => {
      if (!r.ok) {
        throw new GatewayError('AE_BUDGET_EXCEEDED', { detail: `budget ${this.#policy}: spent ${r.spentUsd.toFixed(6)} + reserved ${r.reservedUsd.toFixed(6)} + ${amount.toFixed(6)} > ${this.#spec.usd} USD` });
      }
      ctx.onEnd(() => { this.#settle(call, bucket, id); });
    };
    try {
      const r = after(this.#state.reserve(bucket, this.#spec.usd, amount, id, RESERVATION_TTL_MS), check);
      if (r instanceof Promise) return r.catch((err: unknown) => { throw err instanceof GatewayError ? err : stateFailure(err, 'budget'); });
    } catch (err) {
      throw err instanceof GatewayError ? err : stateFailure(err, 'budget');
    }
  }

  #settle(call: UsageMeter, bucket: string, id: string): void {
    const cost = call.usedUsd();
    try {
      // No cost known (the call failed before any usage): nothing was spent.
      const r = cost === null ? this.#state.release(bucket, id) : this.#state.settle(bucket, id, cost);
      if (r instanceof Promise) r.catch((err: unknown) => { this.#events.failed(this.#policy, err); });
    } catch (err) {
      this.#events.failed(this.#policy, err);
    }
  }
}

/** periodId's last answer per period: the id changes once a day at most, the clock every request. */
const periodCache = new Map<string, { from: number; to: number; id: string }>();
const DAY_MS = 86_400_000;

/** The calendar period (UTC) a budget counts in: 2026-11-21, week-of-2026-11-16 (weeks from Monday), 2026-11, total. */
export function periodId(period: BudgetSpec['period'], now: number): string {
  const hit = periodCache.get(period);
  if (hit !== undefined && now >= hit.from && now < hit.to) return hit.id;
  const id = computePeriodId(period, now);
  // Valid for the rest of this UTC day (every period changes at most at midnight).
  const from = now - (now % DAY_MS);
  periodCache.set(period, { from, to: from + DAY_MS, id });
  return id;
}

function computePeriodId(period: BudgetSpec['period'], now: number): string {
  const d = new Date(now);
  const ymd = d.toISOString().slice(0, 10);
  switch (period) {
    case 'day': return ymd;
    case 'month': return ymd.slice(0, 7);
    case 'total': return 'total';
    case 'week': {
      const monday = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() - ((d.getUTCDay() + 6) % 7)));
      return `week-of-${monday.toISOString().slice(0, 10)}`;
    }
  }
}
