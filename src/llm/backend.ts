// The `llm` backend: the fronts under a route prefix P (OpenAI chat/completions, embeddings
// and models in chat.ts; Anthropic messages in messages.ts; OpenAI responses in
// responses.ts), the models of the backend's config, and the way a call reaches them.
//
// A front parses the request and, for each concrete model it may go to, builds an
// `Attempt`: the upstream call and how to relay its answer. `serve` walks the model's plan
// (router.ts): a concrete model is tried, retried after a connection failure, a 5xx or a
// 429 (backoff, retry-after honoured), and a virtual model fails over to its next target,
// all as long as nothing was sent to the client. The answer that ends the walk is relayed
// in the front's shape. The backend's credentials are injected; the client's never leave
// the gateway unless the model says `passthrough`.
import type { Dispatcher } from 'undici';
import type { RouteSpec } from '../config/index.js';
import type { LlmBackendSpec, LlmModelSpec } from './spec.js';
import { HTTP_BACKEND_DEFAULTS } from '../config/index.js';
import {
  BARE_STACK, beginAttempt, classifyUpstreamError, endAttempt, GatewayError, requestDropSet, strippedRequestHeaders, subPath,
  type BackendHandler, type BodyLimits, type ErrorRenderer, type GatedCall, type UsageMeter, type RequestObserver, type RequestContext, type Upstream, type UpstreamHeaders, type UpstreamStack,
} from '../core/index.js';
import { newLlmCall } from './account.js';
import { Answer } from './answer.js';
import { renderAnthropicError } from './anthropic-errors.js';
import { ClientGoneError, parseJsonObject, readBody } from './body.js';
import { chatFront, listModels, getModel } from './chat.js';
import { jsonHeaders, MAX_ERROR_BODY, modelNotFound, readErrorText, responseHeaders, type RelayIo } from './exchange.js';
import { costUsd } from './cost.js';
import { estimateRequestTokens, maxOutputTokens, preloadTokenizer } from './estimate.js';
import { messagesFront } from './messages.js';
import { responsesFront } from './responses.js';
import { PASSED_STATUSES, renderOpenAIError } from './openai-errors.js';
import { TRANSLATED_PROVIDERS, type AuthStep, type UpstreamCall } from './providers/index.js';
import { backoffMs, ModelRouter, retryableStatus, retryAfterFromHeaders } from './router.js';
import { bindConfiguredSecrets } from './upstream-secrets.js';

/**
 * Client headers never sent upstream, besides hop-by-hop and forwarding ones (a provider
 * learns nothing about the client's network): credentials (the backend has its own), and
 * ones set here.
 */
const LLM_DROP = requestDropSet([
  'authorization', 'x-api-key', 'api-key', 'cookie', 'openai-organization', 'openai-project',
  'content-length', 'content-type', 'accept-encoding',
]);

const NO_SECRETS = (): readonly string[] => [];

/** Headers that carry a client's provider credentials (forwarded only with `passthrough`). */
const CLIENT_CREDENTIAL_HEADERS = ['authorization', 'x-api-key', 'api-key'];

/** Headers providers carry the backend's key in; removed when the client's own is passed through. */
const KEY_HEADERS = ['authorization', 'x-api-key', 'api-key', 'x-goog-api-key'];

/** One upstream call for one concrete model, and how its answer goes back to the client. */
export interface Attempt {
  readonly call: UpstreamCall;
  /** Headers that take a round trip to obtain (vertex's access token), fetched before each send. */
  readonly auth?: AuthStep | null;
  /** Relays a successful (status < 400) answer in the front's shape. */
  relay(up: Answer): Promise<void>;
  /** The body of an upstream error answer with a passed status, in the front's shape. */
  errorBody(status: number, raw: string, headers: UpstreamHeaders): string;
}

/** What a front gets from the backend. */
export interface LlmIo extends RelayIo {
  readonly spec: LlmBackendSpec;
  readonly router: ModelRouter;
  /** Walks the plan of `call.model`, trying `build(model)` for each target; see the file comment. */
  serve(ctx: RequestContext, call: CallRequest, build: (model: LlmModelSpec) => Attempt): Promise<void>;
  /** Runs the route's call gate for a call the gateway answers itself (an estimated count_tokens). */
  admit(ctx: RequestContext, call: CallRequest): void | Promise<void>;
}

/** What a front asks the backend to serve. */
export interface CallRequest {
  /** The model as the client named it. */
  readonly model: string;
  readonly stream: boolean;
  /** The parsed request body (token estimates for limits and budgets). */
  readonly body: Record<string, unknown>;
  /** False for calls that cost nothing (count_tokens). */
  readonly billable: boolean;
}

export class LlmBackend implements BackendHandler, LlmIo {
  readonly kind = 'llm';
  /** Its calls fill the `llm` CEL variable: the route's policies give it a call gate for that phase. */
  readonly protocol = 'llm';
  readonly spec: LlmBackendSpec;
  readonly router: ModelRouter;
  /** One pool per upstream origin, shared by the models that live there. */
  readonly #pools = new Map<string, Upstream>();
  /** Each model's way to its pool: behind its own cap when it has `connections`. */
  readonly #dispatch = new Map<string, Dispatcher.Dispatch>();
  readonly #observer: RequestObserver;

  /**
   * `secrets`: the serving config's secret values, read at each use (a reload that keeps
   * this backend changes them); what the upstreams' error text is scrubbed of. `stack`: the
   * upstream stack each attempt is dispatched through (core/upstream.ts).
   */
  constructor(spec: LlmBackendSpec, observer: RequestObserver, secrets: () => readonly string[] = NO_SECRETS, stack: UpstreamStack = BARE_STACK) {
    this.spec = spec;
    this.#observer = observer;
    bindConfiguredSecrets(spec.models, secrets);
    this.router = new ModelRouter(spec);
    // The token estimator's table takes a moment to load: not on a request's time.
    preloadTokenizer();
    for (const m of spec.models) {
      let pool = this.#pools.get(m.origin);
      if (pool === undefined) {
        pool = stack.create({
          origin: m.origin,
          // No connection cap: a stream holds its connection for minutes and providers take
          // thousands at once; a model that needs one says so (`connections`, below).
          connections: null,
          connectTimeoutMs: HTTP_BACKEND_DEFAULTS.connectTimeoutMs,
          responseTimeoutMs: m.timeoutMs,
          idleTimeoutMs: m.timeoutMs,
          // Retries are decided here (serve), where the model's policy is known.
          retries: 0,
        });
        this.#pools.set(m.origin, pool);
      }
      const cap = m.cap;
      this.#dispatch.set(m.name, cap === undefined ? pool.dispatch : pool.limited({
        max: cap.connections,
        queueSize: cap.queueSize,
        queueTimeoutMs: cap.queueTimeoutMs,
        onOverload: (reason) => observer.upstreamOverloaded?.(spec.name, m.name, reason),
        onQueue: (delta) => observer.upstreamQueue?.(spec.name, m.name, delta),
      }));
    }
  }

  async close(): Promise<void> { await Promise.all([...this.#pools.values()].map((p) => p.close())); }
  async destroy(): Promise<void> { await Promise.all([...this.#pools.values()].map((p) => p.destroy())); }

  /** Errors on P/messages are Anthropic-shaped, all others OpenAI-shaped (also a filter's 401 or 429). */
  renderer(ctx: RequestContext, route: RouteSpec): ErrorRenderer {
    return subPath(ctx.path, route.pathPrefix).startsWith('/messages') ? renderAnthropicError : renderOpenAIError;
  }

  handle(ctx: RequestContext, route: RouteSpec, limits: BodyLimits): void | Promise<void> {
    ctx.render = renderOpenAIError;
    const sub = subPath(ctx.path, route.pathPrefix);
    if (ctx.method === 'POST') {
      if (sub === '/chat/completions') return this.#post(ctx, limits, (body, raw) => chatFront(this, ctx, body, raw, 'chat/completions'));
      if (sub === '/embeddings') return this.#post(ctx, limits, (body, raw) => chatFront(this, ctx, body, raw, 'embeddings'));
      if (sub === '/responses') return this.#post(ctx, limits, (body) => responsesFront(this, ctx, body));
      if (sub === '/messages' || sub === '/messages/count_tokens') {
        ctx.render = renderAnthropicError;
        const countTokens = sub === '/messages/count_tokens';
        return this.#post(ctx, limits, (body) => messagesFront(this, ctx, body, countTokens));
      }
    } else if (ctx.method === 'GET') {
      if (sub === '/models') return listModels(this, ctx);
      if (sub.startsWith('/models/')) return getModel(this, ctx, sub.slice('/models/'.length));
    }
    throw new GatewayError('AE_ROUTE_NOT_FOUND', { message: 'This LLM route serves POST chat/completions, POST responses, POST embeddings, POST messages, POST messages/count_tokens and GET models.' });
  }

  /** Reads and parses a JSON request body, then hands it (and its bytes) to a front. */
  async #post(ctx: RequestContext, limits: BodyLimits, front: (body: Record<string, unknown>, raw: Buffer) => Promise<void>): Promise<void> {
    let raw: Buffer;
    try {
      raw = await readBody(ctx, limits);
    } catch (err) {
      if (err instanceof ClientGoneError) return;
      throw err;
    }
    return front(parseJsonObject(raw, limits.maxJsonDepth), raw);
  }

  admit(ctx: RequestContext, call: CallRequest): void | Promise<void> {
    const plan = this.router.plan(call.model);
    if (plan === undefined) throw modelNotFound(call.model);
    return ctx.gate?.admit(ctx, new PlannedCall(ctx, call, plan[0]!));
  }

  async serve(ctx: RequestContext, call: CallRequest, build: (model: LlmModelSpec) => Attempt): Promise<void> {
    const requested = call.model;
    const plan = this.router.plan(requested);
    if (plan === undefined) throw modelNotFound(requested);
    ctx.llm = newLlmCall(requested, call.stream);
    // The route's policies that need the model (llm.* rules, token limits, budgets).
    const gate = ctx.gate;
    if (gate !== null) {
      const admitted = gate.admit(ctx, new PlannedCall(ctx, call, plan[0]!));
      if (admitted !== undefined) await admitted;
    }
    // One watcher for the whole walk: a client that goes away stops the wait and the call in flight.
    const walk = new Walk(ctx);
    let badRequest: GatewayError | null = null;
    let lastFailure: GatewayError | null = null;
    for (let i = 0; i < plan.length; i++) {
      const model = plan[i]!;
      const more = i < plan.length - 1;
      let attempt: Attempt;
      try {
        attempt = build(model);
      } catch (err) {
        // A feature this target cannot express: another target of a virtual model may.
        if (!(err instanceof GatewayError) || err.status !== 400) throw err;
        badRequest ??= err;
        if (more) continue;
        throw lastFailure ?? badRequest;
      }
      const llm = ctx.llm;
      llm.target = model.name;
      llm.provider = model.provider;
      this.router.calling(model);
      for (let n = 0; ; n++) {
        llm.attempts++;
        let up: Answer | null;
        try {
          up = await this.#send(ctx, model, attempt, walk);
        } catch (err) {
          if (!(err instanceof GatewayError)) throw err;
          // Over the model's own cap: nothing was sent and the model is not failing (no
          // cool-down); a retry would only queue again, so fail over or answer the 503.
          if (err.code === 'AE_UPSTREAM_OVERLOADED') { lastFailure = err; if (more) break; throw err; }
          // Connection failures and timeouts before an answer: retry, then fail over.
          this.router.failed(model, null);
          lastFailure = err;
          if (n < model.retries && this.router.mayRetry(model)) {
            if (!(await walk.wait(backoffMs(model, n + 1, null)))) return;
            continue;
          }
          if (more) break;
          throw err;
        }
        if (up === null) return;
        const status = up.statusCode;
        // Credentials the auth step cached were refused (a revoked token): the next call fetches anew.
        if (status === 401) attempt.auth?.rejected?.(model);
        if (!retryableStatus(status)) {
          this.router.succeeded(model);
          return this.#deliver(ctx, model, attempt, up, null);
        }
        let ra = retryAfterFromHeaders(up.headers);
        // Providers that say the wait in the error body (Google's RetryInfo): it is read here
        // (error bodies are small) and passed on to the client as retry-after.
        const fromBody = ra === null ? TRANSLATED_PROVIDERS[model.provider]?.retryAfterFromError : undefined;
        let errorText: string | null = null;
        if (fromBody !== undefined) {
          errorText = await readErrorText(up);
          ra = fromBody(errorText);
          if (ra !== null) up.headers = { ...up.headers, 'retry-after': String(Math.ceil(ra / 1000)) };
        }
        this.router.failed(model, ra);
        // An empty retry budget ends the retries like a long retry-after: fail over, or pass the answer on.
        const retry = n < model.retries && (ra === null || ra <= model.maxRetryWaitMs) && this.router.mayRetry(model);
        // The last chance: the client gets this answer (its 429 and retry-after included).
        if (!retry && !more) return this.#deliver(ctx, model, attempt, up, errorText);
        this.#observer.upstreamError?.(this.spec.name, 'AE_UPSTREAM_ERROR');
        lastFailure = new GatewayError('AE_UPSTREAM_ERROR', { detail: `upstream answered ${status} for model ${model.name}` });
        // Read off (small error bodies), so the connection can serve the retry.
        if (errorText === null) await up.discard(MAX_ERROR_BODY);
        if (!retry) break;
        if (!(await walk.wait(backoffMs(model, n + 1, ra)))) return;
      }
    }
    throw lastFailure ?? badRequest ?? new GatewayError('AE_UPSTREAM_UNAVAILABLE');
  }

  /**
   * Relays the answer that ended the walk: a success in the front's shape, or the upstream's
   * error (`errorText`: its body when it was already read).
   */
  #deliver(ctx: RequestContext, model: LlmModelSpec, attempt: Attempt, up: Answer, errorText: string | null): Promise<void> {
    return up.statusCode >= 400 ? this.#relayError(ctx, model, attempt, up, errorText) : attempt.relay(up);
  }

  /**
   * Sends one call upstream and waits for its status and headers; null when the client went
   * away. Throws a GatewayError for a failure before an answer.
   */
  async #send(ctx: RequestContext, model: LlmModelSpec, attempt: Attempt, walk: Walk): Promise<Answer | null> {
    if (walk.gone) return null;
    const call = attempt.call;
    const headers = this.#requestHeaders(ctx, model, call);
    // Each try is its own attempt for the observer (ctx.upstream*At keep the first).
    const a = beginAttempt(ctx, this.spec.name, model.name, ctx.llm!.attempts);
    const up = new Answer();
    try {
      if (attempt.auth) {
        Object.assign(headers, await this.#authorize(ctx, model, attempt.auth, walk));
        if (walk.gone) return endAttempt(ctx, a, 0, 'aborted');
      }
      walk.answer = up;
      this.#dispatch.get(model.name)!({
        path: call.path,
        method: 'POST',
        headers,
        body: call.body,
        headersTimeout: model.timeoutMs,
        bodyTimeout: model.timeoutMs,
      }, up);
      await up.started;
    } catch (err) {
      if (walk.gone) return endAttempt(ctx, a, 0, 'aborted');
      const e = this.failure(err, false);
      endAttempt(ctx, a, 0, e.code);
      throw e;
    }
    endAttempt(ctx, a, up.statusCode, null);
    return up;
  }

  /**
   * Runs an auth step. Its failure (a token endpoint refusing the grant) is the gateway's own
   * configuration problem and the client learns nothing of it, so its detail is logged.
   */
  async #authorize(ctx: RequestContext, model: LlmModelSpec, auth: AuthStep, walk: Walk): Promise<Readonly<Record<string, string>>> {
    try {
      return await auth(model, walk.signal());
    } catch (err) {
      if (!walk.gone && err instanceof GatewayError) this.#observer.credentialsFailed?.(ctx.id, this.spec.name, err);
      throw err;
    }
  }

  /**
   * The upstream request headers: the client's, minus credentials and hop-by-hop ones,
   * plus the provider's and the model's. Built in one pass (no deletes: an object that
   * loses properties turns into a slow dictionary).
   */
  #requestHeaders(ctx: RequestContext, model: LlmModelSpec, call: UpstreamCall): Record<string, string | string[]> {
    const h = strippedRequestHeaders(ctx.req.headers, LLM_DROP, call.dropHeaders);
    h.host = model.host;
    h['x-request-id'] = ctx.id;
    Object.assign(h, call.headers);
    for (const name in model.headers) h[name.toLowerCase()] = model.headers[name]!;
    if (model.passthrough) passClientCredentials(ctx, h);
    h['content-type'] = 'application/json';
    h['content-length'] = String(Buffer.byteLength(call.body));
    h['accept-encoding'] = 'identity';
    return h;
  }

  /** Re-shapes an upstream error answer: passed statuses in the front's shape, the rest a 502. */
  async #relayError(ctx: RequestContext, model: LlmModelSpec, attempt: Attempt, up: Answer, errorText: string | null): Promise<void> {
    const status = up.statusCode;
    const text = errorText ?? await readErrorText(up);
    if (ctx.clientAborted) return;
    if (!PASSED_STATUSES.has(status)) {
      this.#observer.upstreamError?.(this.spec.name, 'AE_UPSTREAM_ERROR');
      throw new GatewayError('AE_UPSTREAM_ERROR', { detail: `upstream answered ${status} for model ${model.name}` });
    }
    let body: string;
    try {
      body = attempt.errorBody(status, text, up.headers);
    } catch (err) {
      // The provider found the answer is not the caller's (gemini's API_KEY_INVALID): a gateway error.
      if (err instanceof GatewayError) this.#observer.upstreamError?.(this.spec.name, err.code);
      throw err;
    }
    ctx.res.writeHead(status, jsonHeaders(responseHeaders(ctx, model, up.headers), body));
    ctx.observer.firstByte?.(ctx);
    ctx.res.end(body);
  }

  failure(err: unknown, started: boolean): GatewayError {
    let e = classifyUpstreamError(err);
    // A socket that fails once the response started means the body was cut short.
    if (started && e.code === 'AE_UPSTREAM_UNAVAILABLE') e = new GatewayError('AE_UPSTREAM_STREAM_ABORTED', { cause: err, detail: e.message });
    if (!(err instanceof GatewayError)) this.#observer.upstreamError?.(this.spec.name, e.code);
    return e;
  }

  upstreamError(code: string): void {
    this.#observer.upstreamError?.(this.spec.name, code);
  }
}

/**
 * `passthrough`: the client's own credential headers replace the backend's key, when it
 * sent any, except those that carried its gateway credential (that one is ours).
 */
function passClientCredentials(ctx: RequestContext, h: Record<string, string | string[]>): void {
  const own = CLIENT_CREDENTIAL_HEADERS.filter((n) => ctx.req.headers[n] !== undefined && !ctx.credentialHeaders.includes(n));
  if (own.length === 0) return;
  for (const n of KEY_HEADERS) delete h[n];
  for (const n of own) h[n] = ctx.req.headers[n]!;
}

/** Why a call in flight is aborted when its client went away (one object: nothing is made per request). */
const CLIENT_GONE = new GatewayError('AE_INTERNAL', { detail: 'client closed the connection' });

/**
 * Watches the client during a walk: when it goes away, the call in flight is aborted and a
 * backoff wait ends. One per request, with the request's one end listener.
 */
class Walk {
  readonly #ctx: RequestContext;
  /** The call in flight (or the one answer being relayed). */
  answer: Answer | null = null;
  gone = false;
  /** For an auth step's token fetch; made only when one is needed. */
  #ac: AbortController | null = null;
  #wake: ((ok: boolean) => void) | null = null;
  #timer: NodeJS.Timeout | null = null;

  constructor(ctx: RequestContext) {
    this.#ctx = ctx;
    ctx.onEnd(this.#onEnd);
  }

  readonly #onEnd = (): void => {
    const ctx = this.#ctx;
    if (ctx.res.writableFinished) return;
    ctx.clientAborted = true;
    this.gone = true;
    this.answer?.abort(CLIENT_GONE);
    this.#ac?.abort();
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#wake?.(false);
  };

  signal(): AbortSignal {
    this.#ac ??= new AbortController();
    if (this.gone) this.#ac.abort();
    return this.#ac.signal;
  }

  /** Waits before a retry; false when the client went away meanwhile. */
  wait(ms: number): Promise<boolean> {
    if (this.gone) return Promise.resolve(false);
    return new Promise<boolean>((resolve) => {
      this.#wake = resolve;
      this.#timer = setTimeout(() => {
        this.#timer = null;
        this.#wake = null;
        resolve(true);
      }, ms);
    });
  }
}

/**
 * The call as the route's call gate sees it, priced at the first target of its plan: its
 * own subject (the `llm` CEL variable: input tokens estimated only when a rule reads them)
 * and its usage meter (what the call used is read from ctx.llm when the request ends).
 */
class PlannedCall implements GatedCall, UsageMeter {
  readonly model: string;
  readonly target: string;
  readonly provider: string;
  readonly stream: boolean;
  readonly billable: boolean;
  readonly maxOutputTokens: number | null;
  readonly #ctx: RequestContext;
  readonly #body: Record<string, unknown>;
  readonly #spec: LlmModelSpec;
  #input = -1;

  constructor(ctx: RequestContext, call: CallRequest, first: LlmModelSpec) {
    this.#ctx = ctx;
    this.model = call.model;
    this.target = first.name;
    this.provider = first.provider;
    this.stream = call.stream;
    this.billable = call.billable;
    this.maxOutputTokens = maxOutputTokens(call.body);
    this.#body = call.body;
    this.#spec = first;
  }

  get subject(): PlannedLlm { return new PlannedLlm(this); }
  get usage(): UsageMeter { return this; }

  inputTokens(): number {
    if (this.#input < 0) this.#input = estimateRequestTokens(this.#body);
    return this.#input;
  }

  costUsd(inputTokens: number, outputTokens: number): number | null {
    return costUsd(this.#spec, { inputTokens, outputTokens, cacheReadTokens: null, cacheWriteTokens: null });
  }

  usedTokens(): number {
    const llm = this.#ctx.llm;
    // Nothing reported (the call failed before an answer): what was charged was not used.
    if (llm === null || (llm.inputTokens === null && llm.outputTokens === null)) return 0;
    return (llm.inputTokens ?? 0) + (llm.outputTokens ?? 0);
  }

  usedUsd(): number | null {
    return this.#ctx.llm?.costUsd ?? null;
  }
}

/**
 * `llm` as rules of the call gate see it before the call: the input tokens are the estimate
 * (computed only when read); output tokens and cost are not known yet. A class, not an
 * object literal with a getter: V8 builds such a literal on a slow path, per request.
 */
class PlannedLlm {
  readonly #call: PlannedCall;
  readonly outputTokens = null;
  readonly costUsd = null;
  constructor(call: PlannedCall) { this.#call = call; }
  get model(): string { return this.#call.model; }
  get provider(): string { return this.#call.provider; }
  get stream(): boolean { return this.#call.stream; }
  get inputTokens(): number { return this.#call.inputTokens(); }
}

/** `llm` for a listing (P/models): which models the caller may use at all. */
export function listedModel(model: string, provider: string): object {
  return { model, provider, stream: false, inputTokens: null, outputTokens: null, costUsd: null };
}
