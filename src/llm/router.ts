// Model routing: which concrete models a call may go to, in which order, and which of them
// are cooling down after failing. A concrete model's plan is itself; a failover model's is
// its targets in order; a loadBalance model's is its targets drawn by weight without
// replacement (so a failed call moves on to the others, by weight). Targets cooling down
// go to the end of the plan, keeping their order: they are tried last, never all skipped.
// Retries of a model draw on its retry budget, so an upstream failing everything gets
// ~1.2× its calls instead of (1 + retries)×.
import type { LlmBackendSpec, LlmModelSpec, VirtualModelSpec } from './spec.js';
import { RetryBudget } from '../core/index.js';

/** A 429's retry-after keeps a model out at most this many cool-down periods. */
const MAX_RETRY_AFTER_COOLDOWNS = 10;

interface Health {
  /** Consecutive failed calls. */
  failures: number;
  /** Out of rotation until this time (ms since the epoch); 0 when in rotation. */
  until: number;
}

export class ModelRouter {
  readonly #concrete: ReadonlyMap<string, LlmModelSpec>;
  readonly #virtual: ReadonlyMap<string, VirtualModelSpec>;
  readonly #cooldown: LlmBackendSpec['cooldown'];
  readonly #health = new Map<string, Health>();
  /** Per concrete model (RELIABILITY 19): the http backend's bucket, 0.2 of a retry per call, a burst of 10. */
  readonly #retryBudgets = new Map<string, RetryBudget>();
  readonly #now: () => number;
  readonly #random: () => number;

  constructor(spec: LlmBackendSpec, now: () => number = Date.now, random: () => number = Math.random) {
    this.#concrete = new Map(spec.models.map((m) => [m.name, m]));
    this.#virtual = new Map(spec.virtualModels.map((v) => [v.name, v]));
    this.#cooldown = spec.cooldown;
    this.#now = now;
    this.#random = random;
  }

  /** The concrete model of this name, if there is one. */
  concrete(name: string): LlmModelSpec | undefined {
    return this.#concrete.get(name);
  }

  /** True when `name` is a model of this backend, concrete or virtual. */
  has(name: string): boolean {
    return this.#concrete.has(name) || this.#virtual.has(name);
  }

  /** The concrete models to try for a call naming `name`, in order; undefined for an unknown name. */
  plan(name: string): LlmModelSpec[] | undefined {
    const m = this.#concrete.get(name);
    if (m !== undefined) return [m];
    const v = this.#virtual.get(name);
    if (v === undefined) return undefined;
    const order = v.strategy === 'failover' ? v.targets : this.#weightedOrder(v.targets);
    const now = this.#now();
    const ready: LlmModelSpec[] = [];
    const cooling: LlmModelSpec[] = [];
    for (const t of order) {
      const target = this.#concrete.get(t.model);
      if (target === undefined) continue;
      const h = this.#health.get(t.model);
      if (h !== undefined && h.until > now) cooling.push(target);
      else ready.push(target);
    }
    return ready.concat(cooling);
  }

  /** True while `name` is out of rotation. */
  coolingDown(name: string): boolean {
    const h = this.#health.get(name);
    return h !== undefined && h.until > this.#now();
  }

  /** A call to `model` succeeded (or failed for a reason that is not the model's). */
  succeeded(model: LlmModelSpec): void {
    if (this.#health.size !== 0) this.#health.delete(model.name);
  }

  /**
   * A call to `model` failed (connection failure, 5xx, 429). After `cooldown.failures` in a
   * row it leaves the rotation for the cool-down, or as long as a longer retry-after asks.
   */
  failed(model: LlmModelSpec, retryAfterMs: number | null): void {
    let h = this.#health.get(model.name);
    if (h === undefined) {
      h = { failures: 0, until: 0 };
      this.#health.set(model.name, h);
    }
    h.failures++;
    const now = this.#now();
    const askedFor = retryAfterMs === null ? 0 : Math.min(retryAfterMs, this.#cooldown.durationMs * MAX_RETRY_AFTER_COOLDOWNS);
    if (h.failures >= this.#cooldown.failures) h.until = Math.max(h.until, now + Math.max(this.#cooldown.durationMs, askedFor));
    else if (askedFor > 0) h.until = Math.max(h.until, now + askedFor);
  }

  /** A call is about to try `model`: it adds its share of a retry to the model's budget. */
  calling(model: LlmModelSpec): void {
    this.#retryBudget(model).deposit();
  }

  /** Whether `model` may be tried once more for this call; takes the retry from its budget when it may. */
  mayRetry(model: LlmModelSpec): boolean {
    return this.#retryBudget(model).withdraw();
  }

  #retryBudget(model: LlmModelSpec): RetryBudget {
    let b = this.#retryBudgets.get(model.name);
    if (b === undefined) {
      b = new RetryBudget();
      this.#retryBudgets.set(model.name, b);
    }
    return b;
  }

  /** Targets with weight > 0 drawn by weight without replacement, then those with weight 0. */
  #weightedOrder(targets: VirtualModelSpec['targets']): VirtualModelSpec['targets'] {
    const pool = targets.filter((t) => t.weight > 0);
    const out: VirtualModelSpec['targets'][number][] = [];
    let total = pool.reduce((s, t) => s + t.weight, 0);
    while (pool.length > 0) {
      let r = this.#random() * total;
      let i = 0;
      while (i < pool.length - 1 && r >= pool[i]!.weight) r -= pool[i++]!.weight;
      const [t] = pool.splice(i, 1);
      out.push(t!);
      total -= t!.weight;
    }
    for (const t of targets) if (t.weight === 0) out.push(t);
    return out;
  }
}

/** Statuses after which a call may be retried or failed over: rate limited, or the upstream failed. */
export function retryableStatus(status: number): boolean {
  return status === 429 || status >= 500;
}

/** The wait an answer asks for: OpenAI's retry-after-ms, else retry-after; null when it asks for none. */
export function retryAfterFromHeaders(headers: Readonly<Record<string, string | string[] | undefined>>): number | null {
  const ms = headers['retry-after-ms'];
  const v = Array.isArray(ms) ? ms[0] : ms;
  if (v !== undefined && /^\s*\d+(\.\d+)?\s*$/.test(v)) return Math.round(Number(v));
  return retryAfterMs(headers['retry-after']);
}

/** Parses retry-after (seconds, or an HTTP date) into milliseconds; null when absent or unreadable. */
export function retryAfterMs(value: string | string[] | undefined, now: number = Date.now()): number | null {
  const v = Array.isArray(value) ? value[0] : value;
  if (v === undefined || v === '') return null;
  if (/^\s*\d+(\.\d+)?\s*$/.test(v)) return Math.round(Number(v) * 1000);
  const t = Date.parse(v);
  return Number.isNaN(t) ? null : Math.max(0, t - now);
}

/** The wait before retry number `attempt` (1-based): exponential with full jitter, at least retry-after. */
export function backoffMs(model: LlmModelSpec, attempt: number, retryAfter: number | null, random: () => number = Math.random): number {
  const cap = model.retryBackoffMs * 2 ** (attempt - 1);
  const jittered = cap / 2 + random() * (cap / 2);
  return Math.min(model.maxRetryWaitMs, Math.max(jittered, retryAfter ?? 0));
}
