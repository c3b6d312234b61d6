// A concurrency cap in the upstream stack: at most `max` requests in flight through one
// dispatch chain, a bounded FIFO queue for the ones over the cap, and a wait timeout. A
// request that finds the queue full, or waits past the timeout, fails at once with
// AE_UPSTREAM_OVERLOADED (503, `retry-after`) through its handler's onResponseError, so
// every protocol renders it in its own shape and nothing is sent upstream (RELIABILITY 20).
//
// Protocol-neutral on purpose: it sees only undici's dispatch and handler API. A request
// holds its slot until its exchange ends: the response's end or error, or, for an upgrade,
// until the upgraded socket closes. Every outcome releases the slot exactly once.
//
// A queued request has no undici controller yet, so its handler gets this request's own
// (onRequestStart): an abort then takes it out of the queue with nothing sent upstream (a
// client that left). Once the request runs, undici's controller replaces it (onRequestStart
// again, as undici does on a retry). A freed slot passes straight to the head of the queue,
// so a newcomer cannot jump it; the waiter is dispatched a microtask later, outside
// undici's callback (undici does not expect a dispatch from inside one).
//
// Cost on the hot path: one handler object per request; nothing else unless it queues.
import type { Duplex } from 'node:stream';
import { Readable } from 'node:stream';
import type { Dispatcher } from 'undici';
import { GatewayError } from './errors.js';

/** Headers as undici's handler API gives them. */
type Headers = Record<string, string | string[] | undefined>;

/** Why a request was refused: the queue had no room, or its wait ran out. */
export type OverloadReason = 'queue_full' | 'queue_timeout';

export interface ConcurrencyLimitOptions {
  /** Most requests in flight. */
  readonly max: number;
  /** Most requests waiting for a slot; 0 refuses at once over the cap. */
  readonly queueSize: number;
  /** Longest wait for a slot; 0 waits as long as it takes (the queue size still bounds it). */
  readonly queueTimeoutMs: number;
  /** Called once per refused request, for metrics. */
  readonly onOverload?: (reason: OverloadReason) => void;
  /** Called with +1 when a request joins the queue and -1 when it leaves it (a gauge). */
  readonly onQueue?: (delta: 1 | -1) => void;
}

/**
 * Seconds a refused client is told to wait (`retry-after`). A slot frees when any request
 * in flight ends, which nothing here can predict; one second is the shortest the header
 * says, and clients back off further on their own.
 */
export const OVERLOAD_RETRY_AFTER_SECONDS = 1;

const RETRY_AFTER = Object.freeze({ 'retry-after': String(OVERLOAD_RETRY_AFTER_SECONDS) });

export function overloadedError(reason: OverloadReason): GatewayError {
  return new GatewayError('AE_UPSTREAM_OVERLOADED', { detail: `upstream concurrency limit: ${reason === 'queue_full' ? 'queue full' : 'wait timed out'}`, headers: RETRY_AFTER });
}

/** The cap's state: slots in use and the queue (a linked list, so a leaver is unlinked in O(1)). */
export class ConcurrencyLimit {
  readonly #o: ConcurrencyLimitOptions;
  #active = 0;
  #waiting = 0;
  #head: LimitedRequest | null = null;
  #tail: LimitedRequest | null = null;

  constructor(o: ConcurrencyLimitOptions) {
    this.#o = o;
  }

  /** Requests holding a slot (dispatched, or about to be). */
  get active(): number { return this.#active; }
  /** Requests in the queue. */
  get waiting(): number { return this.#waiting; }

  /** The interceptor: composes in front of a dispatch (see upstream.ts for the order). */
  interceptor(): Dispatcher.DispatcherComposeInterceptor {
    return (dispatch) => {
      const dispatchWithinLimit: Dispatcher.Dispatch = (opts, handler) => this.#admit(new LimitedRequest(this, dispatch, opts, handler));
      return dispatchWithinLimit;
    };
  }

  #admit(r: LimitedRequest): boolean {
    if (this.#active < this.#o.max) {
      this.#active++;
      return r.run();
    }
    if (this.#waiting >= this.#o.queueSize) {
      this.#o.onOverload?.('queue_full');
      r.refuse(overloadedError('queue_full'));
      return true;
    }
    this.#enqueue(r);
    r.queued(this.#o.queueTimeoutMs);
    return true;
  }

  /** A slot was freed: it passes to the longest waiter, or back to the pool of free slots. */
  release(): void {
    const next = this.#head;
    if (next === null) {
      this.#active--;
      return;
    }
    this.unlink(next);
    next.granted();
  }

  /** A waiter's time ran out. */
  expire(r: LimitedRequest): void {
    this.unlink(r);
    this.#o.onOverload?.('queue_timeout');
    r.refuse(overloadedError('queue_timeout'));
  }

  #enqueue(r: LimitedRequest): void {
    r.prev = this.#tail;
    if (this.#tail === null) this.#head = r;
    else this.#tail.next = r;
    this.#tail = r;
    this.#waiting++;
    this.#o.onQueue?.(1);
  }

  unlink(r: LimitedRequest): void {
    if (r.prev === null) this.#head = r.next;
    else r.prev.next = r.next;
    if (r.next === null) this.#tail = r.prev;
    else r.next.prev = r.prev;
    r.prev = r.next = null;
    this.#waiting--;
    this.#o.onQueue?.(-1);
  }
}

const NEW = 0;
/** In the queue. */
const QUEUED = 1;
/** Given a freed slot; its dispatch is a microtask away. */
const GRANTED = 2;
/** Dispatched down the chain. */
const RUNNING = 3;
/** The handler has had its one terminal callback (or the request was refused). */
const DONE = 4;

/**
 * One request through the limit: the handler seen by the rest of the chain, and the
 * controller its own handler holds while it waits. `#holds` is the slot; `#release`
 * gives it back once.
 */
class LimitedRequest implements Dispatcher.DispatchHandler, Dispatcher.DispatchController {
  prev: LimitedRequest | null = null;
  next: LimitedRequest | null = null;
  readonly #limit: ConcurrencyLimit;
  readonly #dispatch: Dispatcher.Dispatch;
  readonly #opts: Dispatcher.DispatchOptions;
  readonly #handler: Dispatcher.DispatchHandler;
  #state = NEW;
  #holds = false;
  /** undici's controller, once the request is on a connection. */
  #upstream: Dispatcher.DispatchController | null = null;
  /** The handler aborted through this controller (a client that left): undici's is aborted when it comes. */
  #reason: Error | null = null;
  #timer: NodeJS.Timeout | null = null;

  constructor(limit: ConcurrencyLimit, dispatch: Dispatcher.Dispatch, opts: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler) {
    this.#limit = limit;
    this.#dispatch = dispatch;
    this.#opts = opts;
    this.#handler = handler;
  }

  /** Dispatches with a slot. */
  run(): boolean {
    this.#holds = true;
    // undici watches a stream body from here on (its Request does, as soon as it is made).
    if (this.#state === GRANTED && this.#opts.body instanceof Readable) this.#opts.body.off('error', this.#onBodyError);
    this.#state = RUNNING;
    return this.#dispatch(this.#opts, this);
  }

  queued(timeoutMs: number): void {
    this.#state = QUEUED;
    if (timeoutMs > 0) this.#timer = setTimeout(this.#onTimeout, timeoutMs);
    // While it waits, a stream body's error (the client's upload failing) is ours to catch, as
    // undici would once dispatched; it ends the wait. Left attached once done: a late error is then a no-op.
    if (this.#opts.body instanceof Readable) this.#opts.body.on('error', this.#onBodyError);
    // The handler's controller until undici's arrives: aborting it leaves the queue.
    this.#handler.onRequestStart?.(this, null);
  }

  granted(): void {
    this.#clearTimer();
    this.#holds = true;
    this.#state = GRANTED;
    queueMicrotask(this.#runGranted);
  }

  readonly #runGranted = (): void => {
    if (this.#state !== GRANTED) return; // aborted meanwhile; the slot went back then
    this.run();
  };

  readonly #onBodyError = (err: Error): void => { this.abort(err); };

  readonly #onTimeout = (): void => {
    this.#timer = null;
    if (this.#state === QUEUED) this.#limit.expire(this);
  };

  /** Fails the request without sending it: no slot, the body (if a stream) discarded as undici would. */
  refuse(err: GatewayError): void {
    this.#state = DONE;
    this.#clearTimer();
    discardBody(this.#opts.body);
    this.#reason = err;
    this.#handler.onResponseError?.(this, err);
  }

  // --- DispatchController: what the handler holds while queued or not yet connected ---

  get aborted(): boolean { return this.#reason !== null || (this.#upstream?.aborted ?? false); }
  get paused(): boolean { return this.#upstream?.paused ?? false; }
  get reason(): Error | null { return this.#reason ?? this.#upstream?.reason ?? null; }
  pause(): void { this.#upstream?.pause(); }
  resume(): void { this.#upstream?.resume(); }

  abort(reason: Error): void {
    if (this.#upstream !== null) {
      this.#upstream.abort(reason);
      return;
    }
    if (this.#state === DONE || this.#reason !== null) return;
    this.#reason = reason;
    switch (this.#state) {
      case QUEUED:
        this.#limit.unlink(this);
        this.#clearTimer();
        break;
      case GRANTED:
        this.#release();
        break;
      // RUNNING, still connecting: answered now; undici's controller is aborted when it comes.
    }
    if (this.#state !== RUNNING) discardBody(this.#opts.body);
    this.#state = DONE;
    this.#handler.onResponseError?.(this, reason);
  }

  // --- DispatchHandler: what the rest of the chain calls ---

  onRequestStart(controller: Dispatcher.DispatchController, context: unknown): void {
    if (this.#reason !== null) {
      controller.abort(this.#reason);
      return;
    }
    this.#upstream = controller;
    this.#handler.onRequestStart?.(controller, context);
  }

  onRequestUpgrade(controller: Dispatcher.DispatchController, statusCode: number, headers: Headers, socket: Duplex): void {
    // The upgraded socket is the connection now: the slot is held until it closes.
    if (socket.closed) this.#release();
    else socket.once('close', this.#release);
    if (this.#state === DONE) {
      socket.destroy();
      return;
    }
    this.#state = DONE;
    this.#handler.onRequestUpgrade?.(controller, statusCode, headers, socket);
  }

  onResponseStart(controller: Dispatcher.DispatchController, statusCode: number, headers: Headers, statusMessage?: string): void {
    if (this.#state !== DONE) this.#handler.onResponseStart?.(controller, statusCode, headers, statusMessage);
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.#state !== DONE) this.#handler.onResponseData?.(controller, chunk);
  }

  onResponseEnd(controller: Dispatcher.DispatchController, trailers: Headers): void {
    this.#release();
    if (this.#state === DONE) return;
    this.#state = DONE;
    this.#handler.onResponseEnd?.(controller, trailers);
  }

  // `controller` is undefined when the connection never opened (see upstream.ts).
  onResponseError(controller: Dispatcher.DispatchController | undefined, err: Error): void {
    this.#release();
    if (this.#state === DONE) return;
    this.#state = DONE;
    this.#handler.onResponseError?.(controller as Dispatcher.DispatchController, err);
  }

  readonly #release = (): void => {
    if (!this.#holds) return;
    this.#holds = false;
    this.#limit.release();
  };

  #clearTimer(): void {
    if (this.#timer !== null) {
      clearTimeout(this.#timer);
      this.#timer = null;
    }
  }
}

/** A stream body that will never be sent is destroyed (as undici does when it aborts a request). */
function discardBody(body: Dispatcher.DispatchOptions['body']): void {
  if (body instanceof Readable && !body.destroyed) body.destroy();
}
