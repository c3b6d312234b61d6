// Policies as the pipeline runs them. For each route, its named policies become:
//   - one `authenticate` filter for all its apiKey and jwt policies ("any of": the first
//     that accepts the caller wins; none → 401 with every policy's challenge; on a route
//     that is an OAuth protected resource, the jwt challenge names its RFC 9728 metadata);
//   - a `rateLimit` filter per request limit;
//   - an `authorize` filter with the rules that need only the request;
//   - a call gate (core/call-gate.ts) the backend's handler calls once it knows what is
//     called: the rules of its protocol phase (llm.*, mcp.*, a2a.*), the request limits
//     keyed on that phase's variable (counted per call), token limits and budgets.
// Policies are compiled once per runtime (a reload compiles the new config's) and shared
// by every route that names them.
import type { Logger } from 'pino';
import type { PolicySpec, RouteSpec, RuntimeConfig } from '../config/index.js';
import {
  CONTINUE, corsFilter, GatewayError, reject, resourceMetadataUrl,
  type CallGate, type ProtectedResource, type Decision, type DeferredDecision, type Filter, type GatedCall, type RequestContext, type RequestObserver, type UsageMeter,
} from '../core/index.js';
import type { StateStore } from '../state/types.js';
import { createApiKeyAuthenticator, KEY_STORE_UNAVAILABLE } from './apikey.js';
import { AuthorizeChain, compileAuthorize, type AuthorizeDenial, type AuthorizeRules } from './authorize.js';
import { compileCel, isProtocolPhase, requestActivation, withSubject, type CelActivation, type CelPhase } from './cel.js';
import { bearerToken, headersCarrying, looksLikeJwt } from './credentials.js';
import { createJwtAuthenticator, JWKS_UNAVAILABLE } from './jwt.js';
import { Budget, callerKey, RateLimit, stateFailure, type KeyOf } from './limits.js';
import type { Authenticator, AuthResult } from './types.js';

export interface PolicyDeps {
  readonly state: StateStore;
  readonly logger: Logger;
  /** Hears what budgets cannot tell a request: a failed settle, a model with no price (core/observer.ts); absent: nobody does. */
  readonly observer?: RequestObserver;
}

/** The compiled policies of one runtime. */
export class PolicySet {
  readonly #config: RuntimeConfig;
  readonly #deps: PolicyDeps;
  readonly #authenticators = new Map<string, Authenticator>();
  readonly #authorize = new Map<string, AuthorizeRules>();
  readonly #rateLimits = new Map<string, RateLimit>();
  readonly #budgets = new Map<string, Budget>();
  /** Reported once per policy and model while this runtime serves (every call would flood the log). */
  readonly #unpriced: (policy: string, model: string) => void;

  constructor(config: RuntimeConfig, deps: PolicyDeps) {
    this.#config = config;
    this.#deps = deps;
    this.#unpriced = oncePerPair((policy, model) => deps.observer?.budgetUnpriced?.(policy, model));
    for (const [name, p] of config.policies) this.#compile(name, p);
  }

  #compile(name: string, p: PolicySpec): void {
    const { state, logger, observer } = this.#deps;
    switch (p.kind) {
      case 'apiKey':
        this.#authenticators.set(name, createApiKeyAuthenticator(
          { name, keys: p.apiKey.keys.map((k) => ({ name: k.name, key: k.key.reveal(), metadata: k.metadata })), stored: p.apiKey.stored },
          p.apiKey.stored ? (hash) => state.findKeyByHash(hash) : null,
        ));
        break;
      case 'jwt':
        this.#authenticators.set(name, createJwtAuthenticator({ name, ...p.jwt }));
        break;
      case 'authorize':
        this.#authorize.set(name, compileAuthorize(p.authorize, ['policies', name, 'authorize']));
        break;
      case 'rateLimit':
        this.#rateLimits.set(name, new RateLimit(name, p.rateLimit, keyFn(p.rateLimit.key, logger, name), state, keyPhase(p.rateLimit.key)));
        break;
      case 'budget':
        this.#budgets.set(name, new Budget(name, p.budget, keyFn(p.budget.key, logger, name), state, {
          failed: (policy, err) => observer?.budgetSettleFailed?.(policy, err),
          unpriced: this.#unpriced,
        }, keyPhase(p.budget.key)));
        break;
      case 'cors':
        break;
    }
  }

  /** Stops background work (JWKS refreshes). */
  close(): void {
    for (const a of this.#authenticators.values()) a.close?.();
  }

  /** Drops cached stored-key lookups (a key was revoked in this process). */
  forgetKeys(): void {
    for (const a of this.#authenticators.values()) (a as { forget?: () => void }).forget?.();
  }

  /**
   * The filters and call gate of a route with these policies (listener's first, then the
   * route's). `protocol`: the protocol its backend handler declares (the CEL variable its
   * calls fill), or null for a backend with no call phase (then there is no gate).
   * `resource`: the route, when its backend serves an OAuth protected resource there
   * (BackendHandler.resourceMetadata); with a jwt policy among these, `resource` comes back
   * with the issuers (its RFC 9728 `authorization_servers`) and the 401 challenge names the
   * route's metadata document. Otherwise `resource` is null.
   */
  forRoute(names: readonly string[], protocol: string | null, resource: RouteSpec | null = null): { filters: Filter[]; gate: CallGate | null; resource: ProtectedResource | null } {
    const phase = protocol === null ? null : protocolPhase(protocol);
    const filters: Filter[] = [];
    const auth: Authenticator[] = [];
    const authorize: AuthorizeRules[] = [];
    const rate: RateLimit[] = [];
    const budgets: Budget[] = [];
    for (const n of names) {
      const p = this.#config.policies.get(n)!;
      if (p.kind === 'cors') filters.push(corsFilter(n, p.cors));
      const a = this.#authenticators.get(n);
      if (a) auth.push(a);
      const z = this.#authorize.get(n);
      if (z) authorize.push(z);
      const r = this.#rateLimits.get(n);
      if (r) rate.push(r);
      const b = this.#budgets.get(n);
      if (b) budgets.push(b);
    }
    const logger = this.#deps.logger;
    const issuers = resource === null ? [] : [...new Set(auth.flatMap((a) => (a.kind === 'jwt' && a.issuer !== undefined ? [a.issuer] : [])))];
    const scopes = [...new Set(auth.flatMap((a) => (a.kind === 'jwt' ? a.scopes ?? [] : [])))];
    const protectedResource: ProtectedResource | null = issuers.length === 0 ? null : Object.freeze({ authorizationServers: Object.freeze(issuers), scopes: Object.freeze(scopes) });
    if (auth.length > 0) filters.push(authenticateFilter(auth, logger, protectedResource === null ? null : resource));
    // On a route with a call phase a request limit's round trip (a shared store) is not
    // waited for here: the gate waits for it together with its own, one round trip before the call.
    const defer = phase !== null;
    // A request limit whose key reads a protocol variable counts that protocol's calls in its
    // gate, once per call (a per-tool limit); one of another protocol never applies here.
    const requestLimits = rate.filter((r) => r.limitsRequests && r.keyPhase === 'request');
    for (const r of requestLimits) filters.push(requestLimitFilter(r, defer));
    const chain = authorize.length === 0 ? null : new AuthorizeChain(authorize);
    if (chain !== null && chain.has('request')) filters.push(authorizeFilter(chain, phase, logger));
    // Rules of a protocol phase wait for the gate of their protocol; a route with none has no gate.
    if (phase === null) return { filters, gate: null, resource: protectedResource };
    const calls = rate.filter((r) => r.limitsRequests && r.keyPhase === phase);
    const tokens = rate.filter((r) => r.limitsTokens);
    const rules = chain !== null && chain.has(phase) ? chain : null;
    if (calls.length + tokens.length + budgets.length + requestLimits.length === 0 && rules === null) return { filters, gate: null, resource: protectedResource };
    return { filters, gate: new RouteCallGate(phase, rules, { calls, tokens, budgets }, logger), resource: protectedResource };
  }
}

/** The CEL phase of a protocol a handler declares; one it does not know is a programming error. */
function protocolPhase(protocol: string): CelPhase {
  if (!isProtocolPhase(protocol)) throw new Error(`a backend declares protocol "${protocol}", which has no CEL variable (policy/cel.ts)`);
  return protocol;
}

/** The phase a limit's or budget's key needs: 'request' for none (the caller) or one that reads no protocol variable. */
function keyPhase(source: string | null): CelPhase {
  return source === null ? 'request' : compileCel(source).phase;
}

/** What a route's gate counts and charges. */
interface GateLimits {
  /** Request limits keyed on the protocol's variable: one hit per call. */
  readonly calls: readonly RateLimit[];
  readonly tokens: readonly RateLimit[];
  readonly budgets: readonly Budget[];
}

/**
 * The call gate of one route (core/call-gate.ts): the protocol phase's rules, then the call
 * limits (request limits keyed on the call), token limits and budgets for a metered call,
 * and the request limits the request phase deferred.
 */
class RouteCallGate implements CallGate {
  readonly #phase: CelPhase;
  readonly #rules: AuthorizeChain | null;
  readonly #calls: readonly RateLimit[];
  readonly #tokens: readonly RateLimit[];
  readonly #budgets: readonly Budget[];
  /** Some key reads the call's protocol variable: the activation gets the call's subject before any is evaluated. */
  readonly #keyed: boolean;
  readonly #logger: Logger;

  constructor(phase: CelPhase, rules: AuthorizeChain | null, limits: GateLimits, logger: Logger) {
    this.#phase = phase;
    this.#rules = rules;
    this.#calls = limits.calls;
    this.#tokens = limits.tokens;
    this.#budgets = limits.budgets;
    this.#keyed = limits.calls.length > 0 || [...limits.tokens, ...limits.budgets].some((l) => l.keyPhase === phase);
    this.#logger = logger;
  }

  permits(ctx: RequestContext, subject: object): boolean {
    if (this.#rules === null) return true;
    const act = withSubject(activationOf(ctx), this.#phase, subject);
    return typeof this.#rules.check(this.#phase, act, authorizeState(ctx)) === 'number';
  }

  admit(ctx: RequestContext, call: GatedCall): void | Promise<void> {
    // The decision goes to the observer only when someone subscribed to decisions.
    if (ctx.observer.decision === undefined) return this.#admit(ctx, call);
    let r: void | Promise<void>;
    try {
      r = this.#admit(ctx, call);
    } catch (err) {
      this.#decided(ctx, err);
      throw err;
    }
    if (r === undefined) { this.#decided(ctx, null); return; }
    return r.then(() => { this.#decided(ctx, null); }, (err: unknown) => { this.#decided(ctx, err); throw err; });
  }

  #decided(ctx: RequestContext, err: unknown): void {
    const code = err instanceof GatewayError ? err.code : err === null ? null : 'AE_INTERNAL';
    ctx.observer.decision?.(ctx, code === null
      ? { phase: this.#phase, name: 'gate', outcome: 'passed' }
      : { phase: this.#phase, name: 'gate', outcome: 'refused', code });
  }

  #admit(ctx: RequestContext, call: GatedCall): void | Promise<void> {
    // Rules and keys read the call's subject from the request's one activation: set it now.
    // Keys are evaluated before the first await, so the calls of one request (an MCP batch)
    // never see each other's subject.
    const act = this.#rules !== null || this.#keyed ? withSubject(activationOf(ctx), this.#phase, call.subject) : null;
    if (this.#rules !== null) {
      const r = this.#rules.check(this.#phase, act!, authorizeState(ctx));
      if (typeof r !== 'number') throw denied(ctx, r, this.#logger);
    }
    const deferred = ctx.deferred;
    // Counted before anything is charged: a call refused by its rate limit reserves nothing.
    const counted = this.#calls.length === 0 ? undefined : this.#count(ctx);
    const usage = call.usage;
    let charged: void | Promise<void>;
    try {
      charged = usage !== null && usage.billable ? this.#charge(ctx, usage) : undefined;
    } catch (err) {
      if (counted !== undefined) counted.catch(() => undefined);
      throw err;
    }
    if (deferred === null && counted === undefined) return charged;
    return Promise.all([deferred === null ? undefined : deferredLimits(deferred), counted, charged]).then(() => undefined);
  }

  /** One hit of each call limit, keyed on the call: throws (SQLite) or rejects (shared store) with AE_RATE_LIMITED. */
  #count(ctx: RequestContext): void | Promise<void> {
    let pending: Promise<void>[] | null = null;
    try {
      for (const r of this.#calls) {
        const hit = r.hitRequest(ctx);
        if (hit instanceof Promise) (pending ??= []).push(hit);
      }
    } catch (err) {
      for (const p of pending ?? []) p.catch(() => undefined);
      throw err;
    }
    if (pending === null) return;
    return Promise.all(pending).then(() => undefined);
  }

  /**
   * Token limits and budgets, all at once: with a shared store their round trips overlap
   * (and go out in one write), with SQLite it all stays synchronous. A charge that went
   * through before another refused is given back when the request ends (the true-up of a
   * call with no usage is a refund; a settle of no cost is a release).
   */
  #charge(ctx: RequestContext, usage: UsageMeter): void | Promise<void> {
    let pending: Promise<void>[] | null = null;
    for (const t of this.#tokens) {
      const r = t.chargeTokens(ctx, usage);
      if (r instanceof Promise) (pending ??= []).push(r);
    }
    for (const b of this.#budgets) {
      const r = b.reserve(ctx, usage);
      if (r instanceof Promise) (pending ??= []).push(r);
    }
    if (pending === null) return;
    return Promise.all(pending).then(() => undefined);
  }
}

/**
 * A request limit. With a synchronous store (SQLite) it decides at once. With a shared one,
 * on a route with a call phase (`defer`) a POST's hit is sent and not waited for: the call
 * gate waits for it with its own round trip (so the two go out together), and refuses then.
 * A request that never gets there (a body that is not JSON) was still counted.
 */
function requestLimitFilter(r: RateLimit, defer: boolean): Filter {
  return {
    name: 'rateLimit',
    phase: 'rateLimit',
    run(ctx) {
      let hit: void | Promise<void>;
      try {
        hit = r.hitRequest(ctx);
      } catch (err) {
        return asDecision(err);
      }
      if (hit === undefined) return CONTINUE;
      if (defer && ctx.method === 'POST') {
        const outcome: DeferredDecision = hit.then(() => null, (err: unknown) => (err instanceof GatewayError ? err : stateFailure(err, 'rate limit')));
        (ctx.deferred ??= []).push(outcome);
        return CONTINUE;
      }
      return hit.then(() => CONTINUE, asDecision);
    },
  };
}

async function deferredLimits(outcomes: readonly DeferredDecision[]): Promise<void> {
  for (const err of await Promise.all(outcomes)) if (err !== null) throw err;
}

const AUTHORIZE_STATE = Symbol('agentedge.authorizeState');
type WithState = RequestContext & { [AUTHORIZE_STATE]?: number };

function authorizeState(ctx: RequestContext): number {
  return (ctx as WithState)[AUTHORIZE_STATE] ?? AuthorizeChain.START;
}

function denied(ctx: RequestContext, d: AuthorizeDenial, logger: Logger): GatewayError {
  const rule = d.rule === null ? null : d.rule.path.join('.');
  // An evaluation error is the operator's to fix: logged louder than an ordinary refusal.
  if (d.error !== null) logger.warn({ requestId: ctx.id, rule, reason: d.reason, error: d.error.message }, 'authorization rule failed to evaluate; refused');
  else logger.info({ requestId: ctx.id, rule, reason: d.reason }, 'request refused by authorization rules');
  return new GatewayError('AE_FORBIDDEN', { detail: `${d.reason}${rule === null ? '' : ` (${rule})`}` });
}

function authorizeFilter(chain: AuthorizeChain, next: CelPhase | null, logger: Logger): Filter {
  return {
    name: 'authorize',
    phase: 'authorize',
    run(ctx) {
      const r = chain.check('request', activationOf(ctx), AuthorizeChain.START, next);
      if (typeof r !== 'number') return { kind: 'error', error: denied(ctx, r, logger) };
      (ctx as WithState)[AUTHORIZE_STATE] = r;
      return CONTINUE;
    },
  };
}

function asDecision(err: unknown): Decision {
  if (err instanceof GatewayError) return { kind: 'error', error: err };
  throw err;
}

function oncePerPair(fn: (policy: string, model: string) => void): (policy: string, model: string) => void {
  const seen = new Set<string>();
  return (policy, model) => {
    const k = `${policy}|${model}`;
    if (seen.has(k)) return;
    seen.add(k);
    fn(policy, model);
  };
}

/** A limit's key from its CEL expression, or the caller. An expression that fails keys the caller's request to "error:" (counted together, logged). */
function keyFn(source: string | null, logger: Logger, policy: string): KeyOf {
  if (source === null) return callerKey;
  const expr = compileCel(source);
  return (ctx) => {
    const v = expr.evaluate(activationOf(ctx));
    if (typeof v === 'string' || typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean') return `k:${String(v)}`;
    logger.warn({ requestId: ctx.id, policy, expression: source }, 'limit key expression did not give a string; counting under the caller');
    return callerKey(ctx);
  };
}

const ACTIVATION = Symbol('agentedge.celActivation');
type WithActivation = RequestContext & { [ACTIVATION]?: CelActivation };

/** One activation per request, built on first use. */
function activationOf(ctx: RequestContext): CelActivation {
  const c = ctx as WithActivation;
  return c[ACTIVATION] ??= requestActivation(ctx);
}

/**
 * `resource`: the route when it is an OAuth protected resource; its 401 challenge then adds
 * `resource_metadata="<its RFC 9728 document>"` (RFC 9728 §5.1) to the jwt policies'
 * `Bearer realm=…` challenge (one challenge when an apiKey policy shares it). The jwt
 * policies' required scopes go in it as `scope` (RFC 6750 §3), and a valid token without
 * them is refused with 403 and `error="insufficient_scope"` (§3.1).
 */
function authenticateFilter(auth: readonly Authenticator[], logger: Logger, resource: RouteSpec | null): Filter {
  const challenges = [...new Set(auth.map((a) => a.challenge))];
  const jwtChallenges = new Set(auth.filter((a) => a.kind === 'jwt').map((a) => a.challenge));
  const scopes = [...new Set(auth.flatMap((a) => a.scopes ?? []))];
  const scopeParam = scopes.length === 0 ? '' : `, scope="${scopes.join(' ')}"`;
  const staticChallenge = challenges.map((c) => (jwtChallenges.has(c) ? c + scopeParam : c)).join(', ');
  const metadataParam = (ctx: RequestContext): string => {
    const url = resource === null ? null : resourceMetadataUrl(ctx, resource);
    return url === null ? '' : `, resource_metadata="${url}"`;
  };
  const challengeOf = (ctx: RequestContext): string => {
    const meta = metadataParam(ctx);
    if (meta === '') return staticChallenge;
    return challenges.map((c) => (jwtChallenges.has(c) ? c + scopeParam + meta : c)).join(', ');
  };
  const insufficient = (ctx: RequestContext, needed: readonly string[]): string =>
    `Bearer realm="agentedge", error="insufficient_scope", scope="${needed.join(' ')}"${metadataParam(ctx)}`;
  const hasJwt = auth.some((a) => a.kind === 'jwt');
  const hasKey = auth.some((a) => a.kind === 'apiKey');
  const refuse = (ctx: RequestContext, reason: string, unavailable: boolean, needed?: readonly string[]): Decision => {
    logger.info({ requestId: ctx.id, reason }, 'authentication failed');
    if (needed !== undefined) return reject('AE_INSUFFICIENT_SCOPE', { detail: reason, headers: { 'www-authenticate': insufficient(ctx, needed) } });
    // The IdP's keys or the key store could not be read: not the caller's fault, and a 401
    // would make clients throw good credentials away.
    if (unavailable) return reject('AE_AUTH_UNAVAILABLE', { detail: reason, headers: { 'retry-after': '1' } });
    return reject('AE_UNAUTHENTICATED', { detail: reason, headers: { 'www-authenticate': challengeOf(ctx) } });
  };
  return {
    name: 'authenticate',
    phase: 'authenticate',
    run(ctx) {
      // A bearer value shaped like a JWT goes to the JWT policies, anything else to the key
      // policies (when a route has both): a key is never sent through a JWT parser or back.
      let candidates = auth;
      if (hasJwt && hasKey) {
        const bearer = bearerToken(ctx.req.headers);
        const jwt = bearer !== null && looksLikeJwt(bearer);
        candidates = auth.filter((a) => (a.kind === 'jwt') === jwt);
      }
      return firstAccepting(ctx, candidates, 0, null, refuse);
    },
  };
}

function firstAccepting(ctx: RequestContext, auth: readonly Authenticator[], from: number, failure: Failure | null, refuse: Refuse): Decision | Promise<Decision> {
  for (let i = from; i < auth.length; i++) {
    const a = auth[i]!;
    const r = a.authenticate(ctx);
    if (r instanceof Promise) {
      return r.then((res) => accept(ctx, res) ?? firstAccepting(ctx, auth, i + 1, failed(a, res, failure), refuse));
    }
    const d = accept(ctx, r);
    if (d !== null) return d;
    failure = failed(a, r, failure);
  }
  return failure === null ? refuse(ctx, 'no credentials', false) : refuse(ctx, failure.reason, failure.unavailable, failure.needed);
}

type Refuse = (ctx: RequestContext, reason: string, unavailable: boolean, needed?: readonly string[]) => Decision;
interface Failure { readonly reason: string; readonly unavailable: boolean; readonly needed?: readonly string[] }

/**
 * The failure to report: a credential that did not verify beats "none"; a valid one that
 * lacks scopes beats both (its 403 tells the client what to ask for); an outage beats all.
 */
function failed(a: Authenticator, r: AuthResult, prev: Failure | null): Failure | null {
  if (r.kind === 'insufficient') {
    if (prev !== null && (prev.unavailable || prev.needed !== undefined)) return prev;
    return { reason: `${a.name}: ${r.reason}`, unavailable: false, needed: r.scopes };
  }
  if (r.kind !== 'invalid') return prev;
  const unavailable = r.reason === KEY_STORE_UNAVAILABLE || r.reason === JWKS_UNAVAILABLE;
  if (prev !== null && (prev.unavailable || prev.needed !== undefined) && !unavailable) return prev;
  return { reason: `${a.name}: ${r.reason}`, unavailable };
}

function accept(ctx: RequestContext, r: AuthResult): Decision | null {
  if (r.kind !== 'ok') return null;
  ctx.identity = r.identity;
  // The headers that carried it hold the gateway's credential: no backend forwards them.
  ctx.credentialHeaders = headersCarrying(ctx.req.headers, r.header ?? 'authorization');
  return CONTINUE;
}
