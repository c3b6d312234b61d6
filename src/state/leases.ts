// Leases: how the Redis + Postgres store keeps Redis off a request's path while every
// replica still enforces one global limit and one global budget.
//
// Exactness needs one atomic decision per admitted unit; it does not need that decision
// to be taken per request. So a replica takes a slice of a window or budget in one Redis
// script (a lease: the units are counted, or held, in Redis as this replica's) and admits
// calls from it in memory; when the slice runs low it takes the next one in the background.
// Redis never grants more than the limit in all, so the replicas together never admit more
// than a strict per-call check would.
//
// The price, documented in docs/policies.md: a refusal can come early by the part of other
// replicas' leases they have not used yet. That is kept small three ways: a lease is at most
// 1/LEASE_SHARE of what is left and about LEASE_SPAN_MS of the replica's own traffic; no
// lease (beyond the call at hand) is granted once fewer than LEASE_MIN_CALLS calls' worth is
// left, so the end of a window or budget goes call by call; and a replica hands back what
// it has not used after IDLE_MS without traffic on it.
//
// Budgets: the lease is a hold in the bucket's Redis hash, renewed every RENEW_MS and
// expiring LEASE_TTL_MS after a replica dies (with the calls that died with it). A call
// reserves from the lease in memory; its settle spends the actual cost in Postgres and
// takes it off the lease's hold in the same Redis script (redis-postgres.ts aeSettle); a
// release (no cost) only returns the reservation to the lease, in memory.
//
// Windows: the lease is counted in the window's counter; what is not used when the window
// ends is gone with it. A token true-up of a call admitted from a lease goes to the lease.
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { BudgetLeaseStep, CounterLeaseStep, LeaseAsk, RedisPostgresStore } from './redis-postgres.js';
import { fromMicros, toMicros, windowStartOf } from './shared.js';
import type {
  BudgetState, DefinitionPin, KeyFilter, NewKey, Reservation, StateStore, StoredKey, UsageEntry, UsageGroup, UsageQuery, WindowHit,
} from './types.js';

/** A lease aims at this much of the replica's own traffic on it. */
const LEASE_SPAN_MS = 500;
/** Unused lease handed back after this long without a call on it. */
const IDLE_MS = 1000;
/** A budget lease's hold lives this long in Redis unless renewed… */
const LEASE_TTL_MS = 30_000;
/** …and is renewed this often while it holds anything. */
const RENEW_MS = 10_000;
const SWEEP_MS = 250;
/** After a failed step, background steps on that lease wait this long. */
const FAILED_PAUSE_MS = 1000;

export interface LeaseOptions {
  /** Overrides for tests: how long a budget lease lives unrenewed, and how often it is renewed. */
  readonly leaseTtlMs?: number;
  readonly renewMs?: number;
  readonly idleMs?: number;
}

/** Round trips to Redis taken by leases, for tests and diagnostics. */
export interface LeaseStats {
  /** Steps a call waited for (its lease could not cover it). */
  waited: number;
  /** Steps taken in the background (refills ahead of need, hand-backs, renewals). */
  background: number;
}

interface Waiter {
  readonly units: number;
  /** Whether the step in flight asked for this call's units. */
  asked: boolean;
  readonly resolve: (admitted: boolean) => void;
  readonly reject: (err: unknown) => void;
}

/** A read of the lease's state in Redis, answered by the next step (reads go in turn with the steps). */
interface Reader {
  /** Whether the step in flight was sent after this read was asked for. */
  asked: boolean;
  readonly resolve: () => void;
  readonly reject: (err: unknown) => void;
}

interface StepAnswer {
  readonly granted: number;
  readonly ok: boolean;
  /** Budgets: the lease's hold as Redis has it after the step. */
  readonly held?: number;
}

/**
 * The replica's side of one lease: `held` units are this replica's in Redis, `used` of them
 * are spoken for. Calls the lease cannot cover wait in `queue`; one step at a time goes to
 * Redis per lease, asking for all of them at once. Reads of what Redis holds go in turn with
 * the steps too, and a step's answer is booked in one synchronous block (`answered`), so
 * what Redis said and what the replica holds always describe the same moment; units handed
 * back by the step in flight are `giving` until Redis has taken them.
 */
abstract class Lease<A extends StepAnswer> {
  held = 0;
  used = 0;
  /** What the next step asks for ahead of need (adapts to the traffic). */
  want = 0;
  /** Whether the last step granted anything ahead of need: while not, no refill ahead of need is tried. */
  leasing = true;
  stepping = false;
  /** Set when the limit changed: nothing is taken from the lease until the next step hands its unused part back. */
  #renouncing = false;
  /** After a step failed (Redis unreachable), no background step before this time. */
  quietUntil = 0;
  lastUse = 0;
  /** Units admitted since the last step, and when it was: the traffic rate that sizes `want`. */
  sinceStep = 0;
  stepAt = 0;
  /** Units handed back by the step in flight (Redis still counts them as this lease's). */
  giving = 0;
  readonly #queue: Waiter[] = [];
  readonly #readers: Reader[] = [];
  readonly #stats: LeaseStats;
  readonly #onError: (err: unknown) => void;

  constructor(stats: LeaseStats, onError: (err: unknown) => void) {
    this.#stats = stats;
    this.#onError = onError;
  }

  get avail(): number { return this.held - this.used; }

  protected abstract send(ask: LeaseAsk): Promise<A>;

  /** Books what a step's answer says beyond the grant (the window's count, a budget's spend), with the grant. */
  protected abstract answered(answer: A): void;

  /** Admits `units` from the lease in memory when it covers them and nobody waits; else false. */
  take(units: number, now: number): boolean {
    if (this.#renouncing || this.held <= 0 || this.avail < units || this.#queue.length > 0) return false;
    this.#use(units, now);
    if (this.leasing && !this.stepping && this.avail < this.want / 2 && now >= this.quietUntil) this.#step(0, units);
    return true;
  }

  /** Waits for the next step to Redis: true when admitted, false when the limit refuses. */
  wait(units: number): Promise<boolean> {
    return new Promise<boolean>((resolve, reject) => {
      this.#queue.push({ units, asked: false, resolve, reject });
      if (!this.stepping) this.#step(0, units);
    });
  }

  /**
   * Brings what the replica knows of Redis up to date with a step that asks for nothing,
   * after the step in flight (if any) is answered. Rejects when Redis cannot be reached.
   */
  read(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.#readers.push({ asked: false, resolve, reject });
      if (!this.stepping) this.#step(0, 0);
    });
  }

  /** A step with no call waiting: hands `give` back, or (give 0) renews and checks the lease. */
  background(give: number): boolean {
    if (this.stepping || this.#queue.length > 0 || this.#readers.length > 0 || Date.now() < this.quietUntil) return false;
    this.#step(give, 0);
    return true;
  }

  /** The limit changed: hands back what is unused now, or at the next step when one is in flight. */
  renounce(): void {
    this.#renouncing = true;
    if (!this.stepping && this.#queue.length === 0 && this.#readers.length === 0) this.#step(0, 0);
  }

  /** Resolves once no step is in flight. */
  async idle(): Promise<void> {
    while (this.stepping) await new Promise<void>((r) => { setImmediate(r); });
  }

  #use(units: number, now: number): void {
    this.used += units;
    this.sinceStep += units;
    this.lastUse = now;
  }

  #step(give: number, unit: number): void {
    const now = Date.now();
    if (this.#renouncing) {
      this.#renouncing = false;
      give += Math.max(0, this.avail - give);
    }
    this.held -= give;
    this.giving = give;
    for (const r of this.#readers) r.asked = true;
    let need = 0;
    let ask = 0;
    if (this.#queue.length > 0) {
      let smallest = Infinity;
      let sum = 0;
      for (const w of this.#queue) {
        w.asked = true;
        sum += w.units;
        smallest = Math.min(smallest, w.units);
      }
      // Debt (avail < 0) is paid first; a call of 0 units still needs one granted unit.
      need = Math.max(1, smallest - this.avail);
      ask = Math.max(need, sum - this.avail);
      unit = Math.max(unit, smallest);
      this.#stats.waited++;
    } else if (this.#readers.length > 0) {
      this.#stats.waited++;
    } else {
      this.#stats.background++;
    }
    const want = unit > 0 ? this.#nextWant(unit, now) : 0;
    this.stepping = true;
    this.send({ give, need, ask, want, unit }).then((answer) => {
      this.held += answer.granted;
      this.giving = 0;
      // Redis holding less than this replica believes means the hold was lost (it expired,
      // or Redis restarted): what is in use beyond it becomes a debt the next step pays.
      if (answer.held !== undefined && answer.held < this.held) this.held = answer.held;
      this.answered(answer);
      if (unit > 0) this.leasing = answer.granted > ask;
      this.#answerReaders(null);
      this.#answerQueue(answer.ok && answer.granted >= ask);
    }, (err: unknown) => {
      // Whether Redis took back `give` is unknown: this replica counts it as gone (the safe
      // side); if Redis kept it, it is held needlessly until the window ends or the lease expires.
      this.#failQueue(err);
    });
  }

  /**
   * After a step: admits every waiting call the lease now covers. A call the step asked for
   * and could not cover is refused, unless Redis granted all that was asked (the lease was
   * used meanwhile, e.g. by a true-up): then it waits for the next step like a new one.
   */
  #answerQueue(grantedAll: boolean): void {
    this.stepping = false;
    const now = Date.now();
    const waiting = this.#queue.splice(0);
    for (const w of waiting) {
      if (!this.#renouncing && this.held > 0 && this.avail >= w.units) {
        this.#use(w.units, now);
        w.resolve(true);
      } else if (w.asked && !grantedAll) {
        w.resolve(false);
      } else {
        w.asked = false;
        this.#queue.push(w);
      }
    }
    this.#next();
  }

  /** Answers the reads the step just answered covers (they were asked before it was sent). */
  #answerReaders(err: unknown): void {
    if (this.#readers.length === 0) return;
    const readers = this.#readers.splice(0);
    for (const r of readers) {
      if (!r.asked) this.#readers.push(r);
      else if (err === null) r.resolve();
      else r.reject(err);
    }
  }

  /** The next step, when calls or reads are waiting. */
  #next(): void {
    if (this.#queue.length > 0) this.#step(0, this.#queue[0]!.units);
    else if (this.#readers.length > 0) this.#step(0, 0);
  }

  #failQueue(err: unknown): void {
    this.stepping = false;
    this.giving = 0;
    // The lease keeps serving what it holds; background steps pause (and are logged once).
    this.quietUntil = Date.now() + FAILED_PAUSE_MS;
    const waiting = this.#queue.splice(0);
    let failed = 0;
    for (const w of waiting) {
      if (w.asked) { w.reject(err); failed++; } else this.#queue.push(w);
    }
    if (this.#readers.some((r) => r.asked)) failed++;
    this.#answerReaders(err);
    if (failed === 0) this.#onError(err); // a background step: nobody to tell
    this.#next();
  }

  /** Sizes the next step's extra from the traffic since the last one. */
  #nextWant(unit: number, now: number): number {
    const rate = this.sinceStep / Math.max(1, now - this.stepAt);
    this.want = Math.max(4 * unit, Math.ceil(rate * LEASE_SPAN_MS));
    this.sinceStep = 0;
    this.stepAt = now;
    return this.want;
  }
}

class CounterLease extends Lease<CounterLeaseStep> {
  /** The window's count at the last step (every replica's leases included). */
  count = 0;

  constructor(
    private readonly inner: RedisPostgresStore, stats: LeaseStats, onError: (err: unknown) => void,
    readonly key: string, readonly windowMs: number, readonly windowStart: number, public limit: number,
  ) { super(stats, onError); }

  get ended(): number { return this.windowStart + this.windowMs; }

  /**
   * What this replica knows was used of the window: the count at the last step, less the
   * part of it that is this replica's lease and unused (what it holds and what it is handing
   * back; a debt adds).
   */
  get estimate(): number { return Math.max(0, this.count - this.avail - this.giving); }

  protected send(ask: LeaseAsk): Promise<CounterLeaseStep> {
    return this.inner.leaseCounter(this.key, this.windowMs, this.windowStart, this.limit, ask);
  }

  protected answered(answer: CounterLeaseStep): void {
    this.count = answer.count;
  }
}

class BudgetLease extends Lease<BudgetLeaseStep> {
  /** Spent at the last step, plus what this replica settled since. */
  spent = 0;
  /** What other holds (other replicas, calls reserved one by one) held at the last step. */
  others = 0;
  lastRenew = 0;
  limit = 0;

  constructor(
    private readonly inner: RedisPostgresStore, stats: LeaseStats, onError: (err: unknown) => void,
    readonly bucket: string, private readonly leaseId: string, private readonly ttlMs: number,
  ) { super(stats, onError); }

  protected send(ask: LeaseAsk): Promise<BudgetLeaseStep> {
    return this.inner.leaseBudget(this.bucket, this.leaseId, this.limit, ask, Date.now() + this.ttlMs);
  }

  protected answered(answer: BudgetLeaseStep): void {
    this.spent = answer.spent;
    this.others = answer.reserved - answer.held;
    this.lastRenew = Date.now();
  }

  /**
   * Spent and reserved as this replica knows them. Admitted: its own unused lease is not
   * counted as reserved. Refused: it is (spent + reserved + amount > limit is what refused).
   */
  reservation(ok: boolean): Reservation {
    const mine = ok ? this.used : Math.max(this.used, this.held);
    return { ok, spentUsd: fromMicros(this.spent), reservedUsd: fromMicros(Math.max(0, this.others + mine)) };
  }
}

interface LocalReservation {
  readonly lease: BudgetLease;
  readonly amount: number;
}

export class LeasedStore implements StateStore {
  readonly kind = 'redis+postgres' as const;
  get shared(): RedisPostgresStore['shared'] { return this.#inner.shared; }
  readonly stats: LeaseStats = { waited: 0, background: 0 };
  readonly #inner: RedisPostgresStore;
  readonly #onError: (err: unknown) => void;
  readonly #leaseId = `lease:${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
  readonly #ttl: number;
  readonly #renew: number;
  readonly #idle: number;
  readonly #counters = new Map<string, CounterLease>();
  readonly #budgets = new Map<string, BudgetLease>();
  readonly #reservations = new Map<string, LocalReservation>();
  readonly #sweeper: NodeJS.Timeout;
  #closed = false;

  constructor(inner: RedisPostgresStore, onError: (err: unknown) => void = () => {}, opts: LeaseOptions = {}) {
    this.#inner = inner;
    this.#onError = onError;
    this.#ttl = opts.leaseTtlMs ?? LEASE_TTL_MS;
    this.#renew = opts.renewMs ?? RENEW_MS;
    this.#idle = opts.idleMs ?? IDLE_MS;
    this.#sweeper = setInterval(() => { this.#sweep(Date.now()); }, Math.min(SWEEP_MS, this.#idle, this.#renew));
    this.#sweeper.unref();
  }

  // ---- counters

  hit(key: string, windowMs: number, limit: number, amount: number, now: number): WindowHit | Promise<WindowHit> {
    const units = Math.max(0, Math.round(amount));
    const start = windowStartOf(now, windowMs);
    const resetAt = start + windowMs;
    const lease = this.#counterLease(key, windowMs, start, limit);
    if (units === 0) return this.#readCounter(lease, resetAt);
    if (lease.take(units, now)) return { allowed: true, count: lease.estimate, resetAt };
    return lease.wait(units).then((allowed) => ({ allowed, count: lease.estimate, resetAt }));
  }

  adjust(key: string, windowMs: number, windowStart: number, delta: number): void | Promise<void> {
    const lease = this.#counters.get(`${key}|${windowStart}`);
    // A true-up of the lease's own window stays in the lease: a refund can be used again
    // here, an overrun is a debt the next step pays. An older window goes to Redis as is.
    if (lease === undefined) return this.#inner.adjust(key, windowMs, windowStart, delta);
    lease.used = Math.max(0, lease.used + Math.round(delta));
  }

  #counterLease(key: string, windowMs: number, windowStart: number, limit: number): CounterLease {
    const id = `${key}|${windowStart}`;
    let lease = this.#counters.get(id);
    if (lease === undefined) {
      lease = new CounterLease(this.#inner, this.stats, this.#onError, key, windowMs, windowStart, limit);
      this.#counters.set(id, lease);
    }
    if (lease.limit !== limit) {
      // A reload changed the limit: what this replica holds goes back, the next call asks again.
      lease.limit = limit;
      lease.renounce();
    }
    return lease;
  }

  /**
   * A hit of 0 units reads the window's count from Redis. It goes through the lease's steps:
   * a separate round trip could see a step that Redis has applied and this replica has not
   * booked yet (a refill counted as used), or miss a hand-back the replica already made.
   */
  async #readCounter(lease: CounterLease, resetAt: number): Promise<WindowHit> {
    await lease.read();
    return { allowed: true, count: lease.estimate, resetAt };
  }

  // ---- budgets

  reserve(bucket: string, limitUsd: number, amountUsd: number, reservationId: string, _ttlMs: number): Reservation | Promise<Reservation> {
    const amount = Math.max(0, toMicros(amountUsd));
    const previous = this.#reservations.get(reservationId);
    if (previous !== undefined) this.#releaseLocal(reservationId, previous); // the same id replaces its hold
    const lease = this.#budgetLease(bucket, toMicros(limitUsd));
    if (lease.take(amount, Date.now())) {
      this.#reservations.set(reservationId, { lease, amount });
      return lease.reservation(true);
    }
    return lease.wait(amount).then((ok) => {
      if (ok) this.#reservations.set(reservationId, { lease, amount });
      return lease.reservation(ok);
    });
  }

  settle(bucket: string, reservationId: string, actualUsd: number): void | Promise<void> {
    const r = this.#reservations.get(reservationId);
    if (r === undefined) return this.#inner.settle(bucket, reservationId, actualUsd);
    this.#releaseLocal(reservationId, r);
    const actual = Math.max(0, toMicros(actualUsd));
    if (actual === 0) return;
    // The cost leaves the lease (Redis takes it off the hold when it stores the new spend).
    r.lease.held = Math.max(0, r.lease.held - actual);
    r.lease.spent += actual;
    return this.#inner.settleLeased(r.lease.bucket, this.#leaseId, actual);
  }

  release(bucket: string, reservationId: string): void | Promise<void> {
    const r = this.#reservations.get(reservationId);
    if (r === undefined) return this.#inner.release(bucket, reservationId);
    this.#releaseLocal(reservationId, r);
  }

  async budget(bucket: string): Promise<BudgetState> {
    const state = await this.#inner.budget(bucket);
    // Only what calls have reserved counts as reserved, not this replica's unused lease.
    const lease = this.#budgets.get(bucket);
    const unused = lease === undefined ? 0 : Math.max(0, lease.avail);
    return { spentUsd: state.spentUsd, reservedUsd: fromMicros(Math.max(0, toMicros(state.reservedUsd) - unused)) };
  }

  #budgetLease(bucket: string, limit: number): BudgetLease {
    let lease = this.#budgets.get(bucket);
    if (lease === undefined) {
      lease = new BudgetLease(this.#inner, this.stats, this.#onError, bucket, this.#leaseId, this.#ttl);
      this.#budgets.set(bucket, lease);
      lease.limit = limit;
    }
    if (lease.limit !== limit) {
      // A reload changed the budget: what this replica holds unused goes back, the next call asks again.
      lease.limit = limit;
      lease.renounce();
    }
    return lease;
  }

  #releaseLocal(id: string, r: LocalReservation): void {
    this.#reservations.delete(id);
    r.lease.used -= r.amount;
  }

  // ---- background: hand back idle leases, renew budget leases, forget ended windows

  #sweep(now: number): void {
    for (const [id, lease] of this.#counters) {
      if (lease.ended <= now) {
        if (!lease.stepping) this.#counters.delete(id);
      } else if (lease.avail !== 0 && now - lease.lastUse >= this.#idle) {
        lease.background(lease.avail);
      }
    }
    for (const [bucket, lease] of this.#budgets) {
      const idle = now - lease.lastUse >= this.#idle;
      if (idle && lease.avail > 0) {
        lease.background(lease.avail);
      } else if (lease.held > 0 && now - lease.lastRenew >= this.#renew) {
        lease.background(0);
      } else if (idle && lease.held === 0 && lease.used === 0 && !lease.stepping) {
        this.#budgets.delete(bucket);
      }
    }
  }

  // ---- everything else is the inner store's

  insertKey(key: NewKey): Promise<void> { return this.#inner.insertKey(key); }
  findKeyByHash(hash: string): Promise<StoredKey | null> { return this.#inner.findKeyByHash(hash); }
  listKeys(filter?: KeyFilter): Promise<StoredKey[]> { return this.#inner.listKeys(filter); }
  revokeKey(idOrName: string): Promise<boolean> { return this.#inner.revokeKey(idOrName); }
  recordUsage(entry: UsageEntry): void { this.#inner.recordUsage(entry); }
  queryUsage(q: UsageQuery): Promise<UsageEntry[] | UsageGroup[]> { return this.#inner.queryUsage(q); }
  listPins(backend: string): Promise<DefinitionPin[]> { return this.#inner.listPins(backend); }
  pinFirst(pin: DefinitionPin): Promise<DefinitionPin> { return this.#inner.pinFirst(pin); }
  repin(pin: DefinitionPin): Promise<void> { return this.#inner.repin(pin); }

  /** Hands every unused lease back, then closes the store (which writes pending settles). */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#sweeper);
    const leases: (CounterLease | BudgetLease)[] = [...this.#counters.values()].filter((l) => l.ended > Date.now());
    leases.push(...this.#budgets.values());
    await Promise.all(leases.map(async (lease) => {
      await lease.idle();
      const give = lease instanceof BudgetLease ? Math.max(0, lease.avail) : lease.avail;
      if (give !== 0 && lease.background(give)) await lease.idle();
    }));
    await this.#inner.close();
  }
}
