// The request observer: the one stream of events a request produces, and the one thing
// telemetry subscribes to (access log, metrics, usage ledger; a tracer and an audit log
// next). Per request: start → decision* → (attemptStart → attemptEnd)* → firstByte → end.
// Beside them, the process-level events that have no request (or only its id): upstream
// errors and retries, concurrency caps, credentials, listener refusals, the state store
// and budgets. Emitters never know who listens.
//
// Every method is optional, and `composeObservers` leaves a method out when no subscriber
// implements it. Emitters call `obs.attemptStart?.(ctx, a)`: JavaScript evaluates no
// argument of an optional call whose method is absent, so an event nobody subscribed to
// costs one property read: no object, no closure, no call. An emitter that would have to
// build something before the call (an attempt record) checks the method first.
import type { CallOutcome, ProtocolCall, RequestContext } from './context.js';
import type { GatewayError } from './errors.js';
import type { OverloadReason } from './concurrency-limit.js';

/** What a filter (or, later, the call gate) decided about a request. */
export interface PhaseDecision {
  /** The lifecycle phase (lifecycle.ts): accept, route, cors, authenticate, rateLimit, authorize, or a call gate's. */
  readonly phase: string;
  /** The filter's (policy's) name, or the listener limit's reason in accept and route. */
  readonly name: string;
  /** passed: the next phase runs; refused: an error answers; answered: the filter answered itself (a CORS preflight). */
  readonly outcome: 'passed' | 'refused' | 'answered';
  /** The error of a refusal. */
  readonly code?: string;
}

/** One upstream call of a request (a retry or a failover is another attempt). */
export interface UpstreamAttempt {
  /** The backend's name. */
  readonly backend: string;
  /** What was called: an llm model's name, an http backend's origin. */
  readonly target: string;
  /** 1 for the first call of the request, counting every retry and failover. */
  readonly number: number;
  /** performance.now() when it was sent. */
  readonly startedAt: number;
}

/** How an attempt ended: with an upstream answer (its status and headers), or without one. */
export interface AttemptOutcome {
  /** The upstream's status; 0 when it never answered. */
  readonly status: number;
  /** Why there was no answer: a gateway error code, or "aborted" when the client left first; null with an answer. */
  readonly error: string | null;
  /** From the attempt's start to its answer's headers (or its failure). */
  readonly durationMs: number;
}

export interface RequestObserver {
  // --- per request -------------------------------------------------------------------
  /** The request was accepted (its context exists; nothing is parsed beyond the head). */
  readonly start?: (ctx: RequestContext) => void;
  /** A phase decided: every filter's decision, and the listener limits' refusals. */
  readonly decision?: (ctx: RequestContext, d: PhaseDecision) => void;
  /** An upstream call is sent. */
  readonly attemptStart?: (ctx: RequestContext, a: UpstreamAttempt) => void;
  /**
   * That call answered (status and headers) or failed before it did. The body that follows
   * belongs to the request: firstByte and end. Every attemptStart has one attemptEnd.
   */
  readonly attemptEnd?: (ctx: RequestContext, a: UpstreamAttempt, outcome: AttemptOutcome) => void;
  /**
   * A protocol call (context.ts ProtocolCall: an MCP tool call, prompt or resource read)
   * ended: answered, failed or refused. Once per call; a request may make several (a batch),
   * and may end before its call does (the legacy SSE transport answers on another stream).
   */
  readonly callEnd?: (ctx: RequestContext, call: ProtocolCall) => void;
  /** The response headers were written to the client (whoever wrote them: upstream relay or an error). */
  readonly firstByte?: (ctx: RequestContext) => void;
  /**
   * The response is done or abandoned (once per request; the lifecycle's `log` phase). The
   * context is final: `ctx.finalStatus()` and `ctx.durationMs()` are what every subscriber sees.
   */
  readonly end?: (ctx: RequestContext) => void;
  /** A failure the client only sees as a generic error (a bug): for the operator's log. */
  readonly internalError?: (ctx: RequestContext, err: unknown) => void;

  // --- process level -----------------------------------------------------------------
  /** An upstream call failed (connection, timeout, protocol, or an answer the gateway turns into a 502). */
  readonly upstreamError?: (backend: string, code: string) => void;
  /** The upstream stack retried a request that provably never reached the upstream. */
  readonly upstreamRetry?: (backend: string) => void;
  /** A concurrency cap refused a call (`target`: the backend itself, or an llm model). */
  readonly upstreamOverloaded?: (backend: string, target: string, reason: OverloadReason) => void;
  /** A call joined (+1) or left (-1) the wait queue of a concurrency cap. */
  readonly upstreamQueue?: (backend: string, target: string, delta: number) => void;
  /**
   * The backend could not obtain its own upstream credentials (a token endpoint refused the
   * grant). The client only gets the code; the detail (never a secret) is for the operator.
   */
  readonly credentialsFailed?: (requestId: string, backend: string, err: GatewayError) => void;
  /** A listener limit refused a connection or request (headers, timeouts, parse errors, body size). */
  readonly downstreamRejected?: (listener: string, reason: string) => void;
  /** The state store failed in the background (a replica connection lost). */
  readonly stateStoreError?: (err: unknown) => void;
  /** A budget's settle or release failed (the store was down); its reservation expires by itself. */
  readonly budgetSettleFailed?: (policy: string, err: unknown) => void;
  /** A budget met a model with no known price: its calls are not charged. */
  readonly budgetUnpriced?: (policy: string, model: string) => void;
  /**
   * Something about an upstream the operator should see and no client is told: a server
   * process that started, exited or wrote to stderr, a connection that failed (`target`:
   * the server, model or agent within the backend). Secrets are scrubbed by the log.
   */
  readonly upstreamEvent?: (backend: string, target: string, level: 'info' | 'warn' | 'error', message: string) => void;
}

/**
 * Marks an upstream attempt as sent: sets ctx.upstreamStartedAt on the request's first,
 * and emits attemptStart. Returns the record attemptEnd needs, or null when nobody
 * listens to attempts (then nothing is made).
 */
export function beginAttempt(ctx: RequestContext, backend: string, target: string, number: number): UpstreamAttempt | null {
  const now = performance.now();
  if (ctx.upstreamStartedAt === 0) ctx.upstreamStartedAt = now;
  const obs = ctx.observer;
  if (obs.attemptStart === undefined && obs.attemptEnd === undefined) return null;
  const a: UpstreamAttempt = { backend, target, number, startedAt: now };
  obs.attemptStart?.(ctx, a);
  return a;
}

/**
 * Emits attemptEnd for `a` (nothing for null); sets ctx.upstreamHeadersAt when this is the
 * request's first answer. Returns null, for the caller to store: an outcome is reported once.
 */
export function endAttempt(ctx: RequestContext, a: UpstreamAttempt | null, status: number, error: string | null): null {
  const now = performance.now();
  if (status !== 0 && ctx.upstreamHeadersAt === 0) ctx.upstreamHeadersAt = now;
  if (a !== null) ctx.observer.attemptEnd?.(ctx, a, { status, error, durationMs: now - a.startedAt });
  return null;
}

/**
 * Begins a protocol call (context.ts ProtocolCall) once the handler knows what is called,
 * before its call gate: sets it as ctx.call and returns it for endCall.
 */
export function beginCall(ctx: RequestContext, protocol: string, method: string, called: string, target: string, name: string): ProtocolCall {
  const call: ProtocolCall = { protocol, method, called, target, name, startedAtMs: Date.now(), startedAt: performance.now(), endedAt: 0, outcome: null, status: 0 };
  ctx.call = call;
  return call;
}

/** Ends a protocol call and emits callEnd; a call already ended is left as it was. */
export function endCall(ctx: RequestContext, call: ProtocolCall, outcome: CallOutcome, status: number): void {
  if (call.outcome !== null) return;
  call.endedAt = performance.now();
  call.outcome = outcome;
  call.status = status;
  ctx.observer.callEnd?.(ctx, call);
}

/** The observer of no subscriber: every event is absent. */
export const NO_OBSERVER: RequestObserver = Object.freeze({});

type EventName = keyof RequestObserver;
// A record, not a list: the compiler then insists every event of the interface is here.
const EVENT_NAMES: Readonly<Record<EventName, true>> = {
  start: true, decision: true, attemptStart: true, attemptEnd: true, callEnd: true, firstByte: true, end: true, internalError: true,
  upstreamError: true, upstreamRetry: true, upstreamOverloaded: true, upstreamQueue: true, credentialsFailed: true,
  downstreamRejected: true, stateStoreError: true, budgetSettleFailed: true, budgetUnpriced: true, upstreamEvent: true,
};
const EVENTS = Object.keys(EVENT_NAMES) as EventName[];

/**
 * One observer that calls every subscriber, in the order given, for each event it
 * implements. An event no subscriber implements is absent from the result (see the module
 * comment); one implemented by a single subscriber is that subscriber's method, bound.
 * A subscriber that throws is a bug like any other: it is not caught here.
 */
export function composeObservers(...subscribers: readonly RequestObserver[]): RequestObserver {
  const out: Partial<Record<EventName, Listener>> = {};
  for (const name of EVENTS) {
    const fns: Listener[] = [];
    for (const s of subscribers) {
      const fn = s[name] as Listener | undefined;
      if (fn !== undefined) fns.push(fn.bind(s));
    }
    if (fns.length === 1) out[name] = fns[0]!;
    else if (fns.length > 1) out[name] = fanOut(name, fns);
  }
  return Object.freeze(out);
}

// Events take at most four arguments; fixed parameters (not a rest array) keep a fan-out
// call free of allocation.
type Listener = (a?: unknown, b?: unknown, c?: unknown, d?: unknown) => void;

function fanOut(name: string, fns: readonly Listener[]): Listener {
  const all: Listener = (a, b, c, d) => {
    for (const fn of fns) fn(a, b, c, d);
  };
  // Named after the event, so a stack trace through it says which one.
  Object.defineProperty(all, 'name', { value: name });
  return all;
}
