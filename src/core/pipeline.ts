// The request pipeline: the phases of lifecycle.ts, run in order for each downstream
// request. This is the only place that sequences phases; handlers and filters never
// call each other. Errors become bytes through the route's renderer, once.
import { ServerResponse, type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { ListenerSpec, RouteSpec } from '../config/index.js';
import { findRoute, hostOf } from '../listeners/router.js';
import { normalizeTarget } from '../listeners/path.js';
import { RequestContext } from './context.js';
import { GatewayError, toGatewayError } from './errors.js';
import { runFilters, type Decision, type Filter } from './lifecycle.js';
import { writeError, rawHttpError } from './render.js';
import { unsafeHeaderValue } from './headers.js';

export interface BackendHandler {
  readonly kind: string;
  handle(ctx: RequestContext, route: RouteSpec, limits: { maxBodyBytes: number; bodyIdleTimeoutMs: number }): Promise<void>;
  upgrade?(ctx: RequestContext, route: RouteSpec, socket: Duplex, head: Buffer): Promise<void>;
}

export interface RouteRuntime {
  readonly spec: RouteSpec;
  readonly filters: readonly Filter[];
  readonly backend: BackendHandler;
}

export interface ListenerRuntime {
  readonly spec: ListenerSpec;
  readonly routes: readonly RouteRuntime[];
}

export interface PipelineHooks {
  /** Called once per request when the response is done or abandoned (the `log` phase). */
  done(ctx: RequestContext): void;
  /** Logs a failure that the client only sees as a generic error. */
  internalError(ctx: RequestContext, err: unknown): void;
  draining(): boolean;
}

/** Runs the accept → route → filters → handler phases for one request. */
export function handleRequest(lr: ListenerRuntime, req: IncomingMessage, res: ServerResponse, hooks: PipelineHooks, secure: boolean): void {
  const ctx = new RequestContext(req, res, lr.spec.name, secure);
  res.once('close', () => {
    if (!res.writableFinished) ctx.clientAborted = true;
    hooks.done(ctx);
  });
  if (hooks.draining()) res.setHeader('connection', 'close');

  // accept: header count (Node's maxHeaderSize covers bytes; count is ours).
  if (req.rawHeaders.length / 2 > lr.spec.limits.maxHeaderCount) return fail(ctx, new GatewayError('AE_HEADERS_TOO_LARGE'), true);

  const route = routeRequest(lr, ctx);
  if (route instanceof GatewayError) return fail(ctx, route, route.code === 'AE_BODY_TOO_LARGE');

  const decision = route.filters.length === 0 ? null : runFilters(route.filters, ctx);
  if (decision instanceof Promise) {
    decision.then((d) => afterFilters(ctx, route, d, lr, hooks), (err: unknown) => crash(ctx, err, hooks));
  } else {
    afterFilters(ctx, route, decision, lr, hooks);
  }
}

/** The route phase: normalise the path, match a route, check a declared body size. */
function routeRequest(lr: ListenerRuntime, ctx: RequestContext): RouteRuntime | GatewayError {
  const target = normalizeTarget(ctx.req.url);
  if (target === null) return new GatewayError('AE_BAD_PATH');
  ctx.path = target.path;
  ctx.query = target.query;
  ctx.host = hostOf(ctx.req.headers.host);
  const route = findRoute(lr.routes, { method: ctx.method, host: ctx.host, path: ctx.path, headers: ctx.req.headers });
  if (route === null) return new GatewayError('AE_ROUTE_NOT_FOUND');
  ctx.route = route.spec.name;
  ctx.backend = route.spec.backend;
  const declared = ctx.req.headers['content-length'];
  if (declared !== undefined && Number(declared) > route.spec.maxBodyBytes) return new GatewayError('AE_BODY_TOO_LARGE');
  return route;
}

function afterFilters(ctx: RequestContext, route: RouteRuntime, d: Decision | null, lr: ListenerRuntime, hooks: PipelineHooks): void {
  if (d !== null && d.kind !== 'continue') {
    if (d.kind === 'error') return fail(ctx, d.error, false);
    for (const v of Object.values(d.headers)) if (unsafeHeaderValue(v)) return fail(ctx, new GatewayError('AE_BAD_HEADER'), false);
    ctx.res.writeHead(d.status, { ...d.headers, 'x-request-id': ctx.id, 'content-length': '0' });
    ctx.res.end();
    return;
  }
  const limits = { maxBodyBytes: route.spec.maxBodyBytes, bodyIdleTimeoutMs: lr.spec.limits.bodyIdleTimeoutMs };
  route.backend.handle(ctx, route.spec, limits).catch((err: unknown) => crash(ctx, err, hooks));
}

function fail(ctx: RequestContext, err: GatewayError, close: boolean): void {
  ctx.errorCode = err.code;
  if (close) ctx.res.setHeader('connection', 'close');
  if (ctx.responseHeaders) for (const [k, v] of Object.entries(ctx.responseHeaders)) ctx.res.setHeader(k, v);
  writeError(ctx.res, err, ctx.id, ctx.render);
}

function crash(ctx: RequestContext, err: unknown, hooks: PipelineHooks): void {
  const e = toGatewayError(err);
  if (e.code === 'AE_INTERNAL') hooks.internalError(ctx, err);
  ctx.errorCode = e.code;
  if (!writeError(ctx.res, e, ctx.id, ctx.render)) ctx.res.destroy();
}

/** The same phases for an HTTP upgrade (WebSocket): no response object, a raw socket. */
export function handleUpgrade(lr: ListenerRuntime, req: IncomingMessage, socket: Duplex, head: Buffer, hooks: PipelineHooks, secure: boolean): void {
  // The context wants a response object; an upgrade never writes one, so it gets a detached one.
  const ctx = new RequestContext(req, new ServerResponse(req), lr.spec.name, secure);
  const refuse = (e: GatewayError) => {
    ctx.errorCode = e.code;
    if (socket.writable) socket.end(rawHttpError(e, ctx.id));
    else socket.destroy();
    hooks.done(ctx);
  };
  const route = routeRequest(lr, ctx);
  if (route instanceof GatewayError) return refuse(route);
  if (!route.backend.upgrade) return refuse(new GatewayError('AE_BAD_REQUEST', { detail: 'backend does not accept upgrades' }));
  const proceed = (d: Decision | null) => {
    if (d !== null && d.kind !== 'continue') return refuse(d.kind === 'error' ? d.error : new GatewayError('AE_BAD_REQUEST'));
    route.backend.upgrade!(ctx, route.spec, socket, head).then(
      () => hooks.done(ctx),
      (err: unknown) => refuse(toGatewayError(err)),
    );
  };
  const d = route.filters.length === 0 ? null : runFilters(route.filters, ctx);
  if (d instanceof Promise) d.then(proceed, (err: unknown) => refuse(toGatewayError(err)));
  else proceed(d);
}
