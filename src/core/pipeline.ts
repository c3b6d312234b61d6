// The request pipeline: the phases of lifecycle.ts, run in order for each downstream
// request. This is the only place that sequences phases; handlers and filters never
// call each other. Errors become bytes through the route's renderer, once.
// Accept checks, path normalisation and route matching live in core beside it
// (accept.ts, path.ts, router.ts): they are protocol-neutral decisions over a parsed
// request head, and the accept → route → filters order is one sequence that must not be
// split between two folders. Listeners own what is about sockets (servers, TLS,
// timeouts, parse errors, drain) and hand each request here; core imports no listener.
import { ServerResponse, type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { ListenerSpec, RouteSpec } from '../config/index.js';
import { acceptRequest, type AcceptRejection } from './accept.js';
import { findRoute, hostOf, routeMatchesAnyMethod } from './router.js';
import { normalizeTarget } from './path.js';
import { RequestContext } from './context.js';
import type { CallGate } from './call-gate.js';
import { GatewayError, toGatewayError, type ErrorCode } from './errors.js';
import { runFilters, type Decision, type Filter } from './lifecycle.js';
import { replyError, rawHttpError, type ErrorRenderer } from './render.js';
import { unsafeHeaderValue } from './headers.js';
import type { RequestObserver } from './observer.js';
import {
  PROTECTED_RESOURCE_WELL_KNOWN, resourceIdentifier, resourceMetadataDocument, resourcePath, writeResourceMetadata,
  type ProtectedResource,
} from './resource-metadata.js';

export interface BackendHandler {
  readonly kind: string;
  /**
   * The protocol of the calls it makes, when it has a call phase: the name of the CEL
   * variable its calls fill (`llm`, `mcp`, `a2a`). The route's policies build a call gate
   * for it (call-gate.ts). Absent for a backend that only forwards requests (http).
   */
  readonly protocol?: string;
  /**
   * Handles one request. A handler that finishes its work through callbacks returns
   * nothing (no promise per request on the hot path); an async one returns its promise,
   * whose rejection the pipeline renders.
   */
  handle(ctx: RequestContext, route: RouteSpec, limits: BodyLimits): void | Promise<void>;
  upgrade?(ctx: RequestContext, route: RouteSpec, socket: Duplex, head: Buffer): Promise<void>;
  /** The renderer for this request's errors (its protocol's shape), chosen before any filter runs. */
  renderer?(ctx: RequestContext, route: RouteSpec): ErrorRenderer;
  /**
   * Present when the handler serves an OAuth protected resource at its route (RFC 9728):
   * on a route whose policies verify tokens of an authorization server (jwt), the pipeline
   * then serves the route's metadata document and the 401 challenge points at it
   * (resource-metadata.ts). Returns the fields it adds to the document (`resource_name`, …).
   */
  resourceMetadata?(ctx: RequestContext, route: RouteSpec): Readonly<Record<string, unknown>>;
}

export interface BodyLimits {
  readonly maxBodyBytes: number;
  readonly bodyIdleTimeoutMs: number;
  /** Deepest JSON nesting a handler that parses the body accepts (core/json.ts). */
  readonly maxJsonDepth: number;
}

export interface RouteRuntime {
  readonly spec: RouteSpec;
  /** The body limits of this route on its listener, computed once. */
  readonly limits: BodyLimits;
  readonly filters: readonly Filter[];
  /** The policies of the backend's protocol phase, run once the handler knows what is called; null when there are none. */
  readonly gate: CallGate | null;
  readonly backend: BackendHandler;
  /**
   * The route as an OAuth protected resource: set when its backend offers
   * `resourceMetadata` and its policies name an authorization server. Absent or null: none.
   */
  readonly resource?: ProtectedResource | null;
}

export interface ListenerRuntime {
  readonly spec: ListenerSpec;
  readonly routes: readonly RouteRuntime[];
}

export interface PipelineHooks {
  /**
   * Where every request's events go (observer.ts); each request carries it as `ctx.observer`,
   * so handlers emit without being handed it. Its `end` is the lifecycle's `log` phase.
   */
  readonly observer: RequestObserver;
  /** True while the gateway shuts down: responses then ask the client to close the connection. */
  draining(): boolean;
  /** The response closed: the listener's own bookkeeping (its drain count), before `end` is emitted. */
  readonly closed?: (ctx: RequestContext) => void;
}

// The listener learns of a body that fails to parse only from the socket, holding the
// response; this link lets the pipeline answer it with the request's own context. Null
// once the listener has answered (and counted) it that way.
const CONTEXT = Symbol('agentedge.requestContext');
type ResponseWithContext = ServerResponse & { [CONTEXT]?: RequestContext | null };

/** Runs the accept → route → filters → handler phases for one request. */
export function handleRequest(lr: ListenerRuntime, req: IncomingMessage, res: ServerResponse, hooks: PipelineHooks, secure: boolean): void {
  const ctx = new RequestContext(req, res, lr.spec.name, secure);
  const obs = hooks.observer;
  ctx.observer = obs;
  (res as ResponseWithContext)[CONTEXT] = ctx;
  // The one 'close' listener per request: resources first, then the log phase.
  res.once('close', () => {
    if (!res.writableFinished) ctx.clientAborted = true;
    ctx.ended();
    if (ctx.inHandler && ctx.errorCode !== null && obs.downstreamRejected !== undefined) countBodyRejection(ctx, obs.downstreamRejected);
    hooks.closed?.(ctx);
    ctx.endedAt = performance.now();
    obs.end?.(ctx);
  });
  obs.start?.(ctx);
  if (hooks.draining()) res.setHeader('connection', 'close');

  // accept: what llhttp let through but a proxy must not forward (accept.ts).
  const refused = acceptRequest(req, lr.spec.limits.maxHeaderCount);
  if (refused !== null) return refuseHead(ctx, refused);

  const route = routeRequest(lr, ctx);
  if (route instanceof GatewayError) {
    routeRefused(ctx, route);
    // After a refused body size the connection closes: the body may still be on its way.
    return fail(ctx, route, route.code === 'AE_BODY_TOO_LARGE');
  }

  const decision = route.filters.length === 0 ? null : runFilters(route.filters, ctx);
  if (decision instanceof Promise) {
    decision.then((d) => afterFilters(ctx, route, d), (err: unknown) => crash(ctx, err));
  } else {
    afterFilters(ctx, route, decision);
  }
}

/** Refuses a request head in the accept phase; the connection closes after the answer. */
function refuseHead(ctx: RequestContext, r: AcceptRejection): void {
  reportAcceptRefusal(ctx, r);
  fail(ctx, new GatewayError(r.code), true);
}

function reportAcceptRefusal(ctx: RequestContext, r: AcceptRejection): void {
  const obs = ctx.observer;
  obs.downstreamRejected?.(ctx.listener, r.reason);
  obs.decision?.(ctx, { phase: 'accept', name: r.reason, outcome: 'refused', code: r.code });
}

/** Reports a refusal of the route phase: a listener limit (counted), or no route at all. */
function routeRefused(ctx: RequestContext, err: GatewayError): void {
  const obs = ctx.observer;
  const reason = routeRejection(err.code);
  if (reason !== null) obs.downstreamRejected?.(ctx.listener, reason);
  obs.decision?.(ctx, { phase: 'route', name: reason ?? 'route', outcome: 'refused', code: err.code });
}

/** Route-phase refusals that count as a listener limit (a missing route does not). */
function routeRejection(code: ErrorCode): string | null {
  switch (code) {
    case 'AE_BAD_PATH': return 'bad_path';
    case 'AE_BODY_TOO_LARGE': return 'body_too_large';
    default: return null;
  }
}

/** The route phase: normalise the path, match a route, check a declared body size. */
function routeRequest(lr: ListenerRuntime, ctx: RequestContext): RouteRuntime | GatewayError {
  const target = normalizeTarget(ctx.req.url);
  if (target === null) return new GatewayError('AE_BAD_PATH');
  ctx.path = target.path;
  ctx.query = target.query;
  ctx.host = hostOf(ctx.req.headers.host);
  // A protected resource's metadata document is served outside its route's prefix.
  const metadata = ctx.path.startsWith(PROTECTED_RESOURCE_WELL_KNOWN) ? resourceMetadataRoute(lr, ctx) : null;
  const route = metadata ?? findRoute(lr.routes, { method: ctx.method, host: ctx.host, path: ctx.path, headers: ctx.req.headers });
  if (route === null) return new GatewayError('AE_ROUTE_NOT_FOUND');
  ctx.route = route.spec.name;
  ctx.backend = route.spec.backend;
  ctx.gate = route.gate;
  // Filters answer in the route's protocol too (an OpenAI client gets an OpenAI-shaped 401).
  if (route.backend.renderer !== undefined) ctx.render = route.backend.renderer(ctx, route.spec);
  const declared = ctx.req.headers['content-length'];
  if (declared !== undefined && Number(declared) > route.spec.maxBodyBytes) return new GatewayError('AE_BODY_TOO_LARGE');
  return route;
}

/**
 * `GET /.well-known/oauth-protected-resource<P>` (and HEAD, and its CORS preflight): when
 * the first route `<P>` matches (whatever its methods) is a protected resource whose prefix
 * is exactly `<P>`, a route runtime that answers its RFC 9728 document, with no filters (the
 * document is public). Anything else is routed as usual (a backend at `/` may serve its own).
 */
function resourceMetadataRoute(lr: ListenerRuntime, ctx: RequestContext): RouteRuntime | null {
  if (ctx.method !== 'GET' && ctx.method !== 'HEAD' && ctx.method !== 'OPTIONS') return null;
  const path = ctx.path.slice(PROTECTED_RESOURCE_WELL_KNOWN.length);
  if (path !== '' && path.charCodeAt(0) !== 47 /* / */) return null;
  const req = { method: ctx.method, host: ctx.host, path: path === '' ? '/' : path, headers: ctx.req.headers };
  const route = lr.routes.find((r) => routeMatchesAnyMethod(r.spec, req));
  const pr = route?.resource;
  if (route === undefined || pr === undefined || pr === null || route.backend.resourceMetadata === undefined) return null;
  if (resourcePath(route.spec) !== path || resourceIdentifier(ctx, route.spec) === null) return null;
  const backend = route.backend;
  return {
    spec: route.spec,
    limits: route.limits,
    filters: [],
    gate: null,
    resource: pr,
    backend: {
      kind: backend.kind,
      handle(c, spec) {
        writeResourceMetadata(c, resourceMetadataDocument(resourceIdentifier(c, spec)!, pr, backend.resourceMetadata!(c, spec)));
      },
    },
  };
}

function afterFilters(ctx: RequestContext, route: RouteRuntime, d: Decision | null): void {
  if (d !== null && d.kind !== 'continue') {
    if (d.kind === 'error') return fail(ctx, d.error, false);
    for (const v of Object.values(d.headers)) if (unsafeHeaderValue(v)) return fail(ctx, new GatewayError('AE_BAD_HEADER'), false);
    const headers: Record<string, string> = { ...d.headers, 'x-request-id': ctx.id };
    // RFC 9110 §8.6: no Content-Length on a 204 or 304.
    if (d.status !== 204 && d.status !== 304) headers['content-length'] = '0';
    ctx.res.writeHead(d.status, headers);
    ctx.observer.firstByte?.(ctx);
    ctx.res.end();
    return;
  }
  ctx.inHandler = true;
  let pending: void | Promise<void>;
  try {
    pending = route.backend.handle(ctx, route.spec, route.limits);
  } catch (err) {
    return crash(ctx, err);
  }
  if (pending !== undefined) pending.catch((err: unknown) => crash(ctx, err));
}

/** The handler enforces body size and body idle time while streaming; those are listener limits too. */
function countBodyRejection(ctx: RequestContext, rejected: (listener: string, reason: string) => void): void {
  if ((ctx.res as ResponseWithContext)[CONTEXT] === null) return;
  if (ctx.errorCode === 'AE_BODY_TOO_LARGE') rejected(ctx.listener, 'body_too_large');
  else if (ctx.errorCode === 'AE_REQUEST_TIMEOUT') rejected(ctx.listener, 'body_timeout');
}

function fail(ctx: RequestContext, err: GatewayError, close: boolean): void {
  if (close && !ctx.res.headersSent) ctx.res.setHeader('connection', 'close');
  replyError(ctx, err);
}

/**
 * Answers a request whose body turned out to be malformed after it entered the pipeline.
 * False when the response had already started; the caller then resets the connection.
 */
export function failInFlight(res: ServerResponse, err: GatewayError): boolean {
  const ctx = (res as ResponseWithContext)[CONTEXT];
  if (ctx == null || res.headersSent || res.destroyed) return false;
  (res as ResponseWithContext)[CONTEXT] = null;
  fail(ctx, err, true);
  return true;
}

function crash(ctx: RequestContext, err: unknown): void {
  const e = toGatewayError(err);
  if (e.code === 'AE_INTERNAL') ctx.observer.internalError?.(ctx, err);
  if (!replyError(ctx, e)) ctx.res.destroy();
}

/** The same phases for an HTTP upgrade (WebSocket): no response object, a raw socket. */
export function handleUpgrade(lr: ListenerRuntime, req: IncomingMessage, socket: Duplex, head: Buffer, hooks: PipelineHooks, secure: boolean): void {
  // The context wants a response object; an upgrade never writes one, so it gets a detached one.
  const ctx = new RequestContext(req, new ServerResponse(req), lr.spec.name, secure);
  const obs = hooks.observer;
  ctx.observer = obs;
  // An upgrade has no response to close: its end is when the joined sockets close.
  const done = () => {
    hooks.closed?.(ctx);
    ctx.endedAt = performance.now();
    obs.end?.(ctx);
  };
  const refuse = (e: GatewayError) => {
    ctx.errorCode = e.code;
    if (socket.writable) {
      socket.end(rawHttpError(e, ctx.id));
      obs.firstByte?.(ctx);
    } else {
      socket.destroy();
    }
    done();
  };
  obs.start?.(ctx);
  const refused = acceptRequest(req, lr.spec.limits.maxHeaderCount);
  if (refused !== null) {
    reportAcceptRefusal(ctx, refused);
    return refuse(new GatewayError(refused.code));
  }
  const route = routeRequest(lr, ctx);
  if (route instanceof GatewayError) {
    routeRefused(ctx, route);
    return refuse(route);
  }
  if (!route.backend.upgrade) return refuse(new GatewayError('AE_BAD_REQUEST', { detail: 'backend does not accept upgrades' }));
  const proceed = (d: Decision | null) => {
    if (d !== null && d.kind !== 'continue') return refuse(d.kind === 'error' ? d.error : new GatewayError('AE_BAD_REQUEST'));
    route.backend.upgrade!(ctx, route.spec, socket, head).then(
      done,
      (err: unknown) => refuse(toGatewayError(err)),
    );
  };
  const d = route.filters.length === 0 ? null : runFilters(route.filters, ctx);
  if (d instanceof Promise) d.then(proceed, (err: unknown) => refuse(toGatewayError(err)));
  else proceed(d);
}
