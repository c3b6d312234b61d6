// The request lifecycle, written down once. Every request passes these phases in this
// order; docs/lifecycle.md describes the same list and a test keeps the two in step.
// Filters (policies) belong to a phase and run in phase order; a filter decides —
// continue, reply with a typed error, or answer directly (a CORS preflight) — and never
// writes bytes itself.
import type { ErrorCode } from './errors.js';
import { GatewayError } from './errors.js';
import type { RequestContext } from './context.js';

export interface PhaseSpec {
  readonly name: string;
  readonly description: string;
  /** Errors this phase can produce. */
  readonly errors: readonly ErrorCode[];
}

export const PHASES = [
  { name: 'accept', description: 'The listener parses the request line and headers within the header limits and timeout; a request id is taken from x-request-id or made.', errors: ['AE_BAD_REQUEST', 'AE_HEADERS_TOO_LARGE', 'AE_REQUEST_TIMEOUT', 'AE_SHUTTING_DOWN'] },
  { name: 'route', description: 'The path is normalised once; the first route in file order whose conditions all hold is chosen; a declared body size over the route limit is refused.', errors: ['AE_BAD_PATH', 'AE_BAD_HEADER', 'AE_ROUTE_NOT_FOUND', 'AE_BODY_TOO_LARGE'] },
  { name: 'cors', description: 'CORS policies answer preflight requests and refuse origins that are not allowed.', errors: ['AE_CORS_REJECTED'] },
  { name: 'authenticate', description: 'Authentication policies (apiKey, jwt) establish the caller; several on one route mean any of them. No or a bad credential is refused with WWW-Authenticate; a valid token without the scopes a jwt policy requires gets 403 insufficient_scope; an unreachable JWKS or key store is a 503.', errors: ['AE_UNAUTHENTICATED', 'AE_INSUFFICIENT_SCOPE', 'AE_AUTH_UNAVAILABLE'] },
  { name: 'rateLimit', description: 'Request rate limits (rateLimit.requests), per key, in fixed windows; x-ratelimit-* headers on every answer, retry-after when refused.', errors: ['AE_RATE_LIMITED', 'AE_STATE_UNAVAILABLE'] },
  { name: 'authorize', description: 'CEL authorization rules that read only the request and the caller; rules that read llm.* wait for the model (handler). An evaluation error refuses.', errors: ['AE_FORBIDDEN'] },
  { name: 'handler', description: 'The backend\'s protocol handler forwards the request upstream and streams the answer back, with body limits, upstream timeouts and concurrency caps (over a cap and its queue: 503 with retry-after). A handler with a protocol first passes its call gate once it knows what is called (for llm: the model): the protocol phase\'s authorize rules (llm.*, mcp.*, a2a.*), token rate limits (estimate, trued up after) and budget reservations (settled when the request ends) for a metered call.', errors: ['AE_FORBIDDEN', 'AE_RATE_LIMITED', 'AE_BUDGET_EXCEEDED', 'AE_STATE_UNAVAILABLE', 'AE_BAD_REQUEST', 'AE_MODEL_NOT_FOUND', 'AE_BODY_TOO_LARGE', 'AE_REQUEST_TIMEOUT', 'AE_UPSTREAM_UNAVAILABLE', 'AE_UPSTREAM_ERROR', 'AE_UPSTREAM_TIMEOUT', 'AE_UPSTREAM_PROTOCOL', 'AE_UPSTREAM_STREAM_ABORTED', 'AE_UPSTREAM_OVERLOADED', 'AE_INTERNAL'] },
  { name: 'log', description: 'When the response ends (or the client leaves): the request observer\'s end event, whose subscribers write the access log line, the metrics and the usage ledger.', errors: [] },
] as const satisfies readonly PhaseSpec[];

export type PhaseName = (typeof PHASES)[number]['name'];
/** Phases a filter may belong to. */
export type FilterPhase = 'cors' | 'authenticate' | 'rateLimit' | 'authorize';

export const CONTINUE = Object.freeze({ kind: 'continue' as const });
export type Decision =
  | typeof CONTINUE
  | { readonly kind: 'error'; readonly error: GatewayError }
  | { readonly kind: 'respond'; readonly status: number; readonly headers: Readonly<Record<string, string>> };

export interface Filter {
  readonly name: string;
  readonly phase: FilterPhase;
  readonly run: (ctx: RequestContext) => Decision | Promise<Decision>;
}

const PHASE_INDEX = new Map<string, number>(PHASES.map((p, i) => [p.name, i]));

/** Sorts filters into phase order; within a phase the configured order is kept. */
export function orderFilters(filters: readonly Filter[]): readonly Filter[] {
  return [...filters].sort((a, b) => PHASE_INDEX.get(a.phase)! - PHASE_INDEX.get(b.phase)!);
}

export function reject(code: ErrorCode, options?: ConstructorParameters<typeof GatewayError>[1]): Decision {
  return { kind: 'error', error: new GatewayError(code, options) };
}

/**
 * Runs filters in order until one does not continue. Stays synchronous when they are.
 * Each decision is reported to the request's observer (`decision`, when subscribed).
 */
export function runFilters(filters: readonly Filter[], ctx: RequestContext): Decision | Promise<Decision> {
  for (let i = 0; i < filters.length; i++) {
    const f = filters[i]!;
    const d = f.run(ctx);
    if (d instanceof Promise) {
      return d.then((r) => {
        report(ctx, f, r);
        return r.kind === 'continue' ? runFilters(filters.slice(i + 1), ctx) : r;
      });
    }
    report(ctx, f, d);
    if (d.kind !== 'continue') return d;
  }
  return CONTINUE;
}

function report(ctx: RequestContext, f: Filter, d: Decision): void {
  const obs = ctx.observer;
  if (obs.decision === undefined) return;
  if (d.kind === 'error') obs.decision(ctx, { phase: f.phase, name: f.name, outcome: 'refused', code: d.error.code });
  else obs.decision(ctx, { phase: f.phase, name: f.name, outcome: d.kind === 'continue' ? 'passed' : 'answered' });
}
