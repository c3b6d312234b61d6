// The `mcp` backend: one MCP endpoint at the route prefix P for the servers of the
// backend (federation.ts). Streamable HTTP at P (POST a message; GET the session's
// standalone stream; DELETE the session) for protocol revisions 2025-03-26, 2025-06-18 and
// 2025-11-25, negotiated per client in initialize; the legacy HTTP+SSE transport
// (2024-11-05) at P/sse (GET opens the stream, whose `endpoint` event names where to POST).
//
// A request's answer is JSON, unless something must reach the client before it (a
// progress notification, a server's sampling or elicitation request): then, when the
// client accepts an event stream, the reply turns into one for that request.
import type { ServerResponse } from 'node:http';
import type { RouteSpec } from '../config/index.js';
import {
  ClientGoneError, GatewayError, JsonRefusedError, parseJson, readBody, settleDeferred, subPath,
  type AdminActionAnswer, type BackendDeps, type BodyLimits, type ErrorRenderer, type PooledHandler, type RequestContext, type Upstream,
} from '../core/index.js';
import { Cancel } from './cancel.js';
import { federatedServer, Federation } from './federation.js';
import { classify, gatewayRpcError, isObject, RPC, rpcFailure, rpcResult, toRpcError, type JsonRpcErrorObject, type JsonRpcId, type JsonRpcRequest, type JsonRpcResponse } from './jsonrpc.js';
import { ServerHandle, type PoolEvents } from './server-pool.js';
import { Session, SessionTable, SseOutbox, type ActiveRequest, type Listen, type Outbox } from './session.js';
import { SharedSessions } from './session-store.js';
import { GATEWAY_INFO } from './upstream.js';
import { checkModernRequest, listenFilter, META_CAPABILITIES, META_SUBSCRIPTION, modernClaim, modernError, modernResult, MODERN_RPC, MODERN_VERSION } from './modern.js';
import { NAMESPACED, unprefixed } from './names.js';
import { ToolPins } from './pinning.js';
import { createHash } from 'node:crypto';
import type { McpBackendSpec } from './spec.js';

/** Revisions a client may negotiate, newest first. */
export const DOWNSTREAM_VERSIONS: readonly string[] = ['2025-11-25', '2025-06-18', '2025-03-26', '2024-11-05'];

/** Errors of requests that never reached the federation (auth, limits, bad bodies), as JSON-RPC. */
export const renderJsonRpcError: ErrorRenderer = (err) => ({
  status: err.status,
  headers: { 'content-type': 'application/json', ...err.headers },
  body: JSON.stringify(rpcFailure(null, gatewayRpcError(err))),
});

/** A server this backend owns: its handle, its HTTP pool (null for stdio), its config as compiled. */
interface OwnedServer {
  readonly handle: ServerHandle;
  readonly upstream: Upstream | null;
  readonly config: string;
}

/** The revisions with JSON-RPC batches (2025-06-18 removed them). */
const BATCH_VERSIONS = new Set(['2025-03-26', '2024-11-05']);

/** Methods whose calls pass the call gate (federation.ts), which settles deferred request limits itself. */
const GATED = new Set(['tools/call', 'prompts/get', 'resources/read', 'resources/subscribe', 'resources/unsubscribe', 'completion/complete']);

/** Requests that change what a shared session's record holds (its log level, its subscriptions). */
const RECORDED = new Set(['logging/setLevel', 'resources/subscribe', 'resources/unsubscribe']);

const LIST_CHANGED = ['notifications/tools/list_changed', 'notifications/prompts/list_changed', 'notifications/resources/list_changed'] as const;

const SSE_HEADERS = { 'content-type': 'text/event-stream', 'cache-control': 'no-cache, no-transform', 'x-accel-buffering': 'no' };

export class McpBackend implements PooledHandler {
  readonly kind = 'mcp';
  /** Its calls fill the `mcp` CEL variable: the route's policies give it a call gate for that phase. */
  readonly protocol = 'mcp';
  readonly spec: McpBackendSpec;
  /** Each server's handle and, for an HTTP one, its upstream pool, by server name. */
  readonly #servers = new Map<string, OwnedServer>();
  readonly #federation: Federation;
  /** Tool pinning (pinning.ts); null when no server pins. */
  readonly #pins: ToolPins | null;
  readonly #sessions: SessionTable;
  /** The Streamable HTTP sessions every replica can continue (session-store.ts); null when the state is one process's. */
  readonly #shared: SharedSessions | null;

  /**
   * `previous`: the backend this one replaces on a reload. Servers whose config did not
   * change are taken over with their connections (stdio processes keep running, upstream
   * sessions survive), and so are the client sessions; when servers were added or removed,
   * connected clients are told their lists changed.
   */
  constructor(spec: McpBackendSpec, deps: BackendDeps, previous: McpBackend | null = null) {
    this.spec = spec;
    const sessionsView = () => this.#sessions.all();
    const byId = (id: string) => this.#byId(id);
    const inherited = previous === null ? null : previous.#handOver(spec);
    const handles = spec.servers.map((s) => {
      const events: PoolEvents = {
        serverRequest: (server, owner, conn, req) => this.#federation.serverRequest(server, owner, conn, req, sessionsView, byId, s.callTimeoutMs),
        notification: (server, owner, n) => { this.#federation.notification(server, owner, n, sessionsView, byId); },
        opened: (server, owner, send) => this.#federation.restore(server, owner, send, sessionsView, byId),
        log: (server, level, message) => { deps.observer.upstreamEvent?.(spec.name, server, level, message); },
      };
      const kept = inherited?.servers.get(s.name);
      if (kept !== undefined) {
        kept.handle.rebind(events);
        this.#servers.set(s.name, kept);
        return kept.handle;
      }
      let upstream: Upstream | null = null;
      if (s.transport !== 'stdio') {
        upstream = deps.upstreams.create({
          origin: new URL(s.url).origin,
          connections: null,
          connectTimeoutMs: s.connectTimeoutMs,
          // The call timeout is the gateway's (server-pool.ts); streams may idle for long.
          responseTimeoutMs: 0,
          idleTimeoutMs: 0,
          retries: 0,
        });
      }
      const handle = new ServerHandle(s, upstream, events);
      this.#servers.set(s.name, { handle, upstream, config: JSON.stringify(s) });
      return handle;
    });
    this.#pins = ToolPins.for(spec, deps.pins, (server, level, message) => { deps.observer.upstreamEvent?.(spec.name, server, level, message); });
    this.#federation = new Federation(handles.map(federatedServer), spec.namespace ? NAMESPACED : unprefixed(spec.servers[0]!.name), this.#pins, spec.toolset === 'search');
    this.#shared = deps.shared === undefined || deps.shared === null
      ? null
      : new SharedSessions(deps.shared, spec.name, spec.sessionTtlMs, (err) => { deps.observer.stateStoreError?.(err); },
        (session, before) => this.#federation.changed(session, before));
    this.#sessions = new SessionTable(spec.sessionTtlMs, spec.maxSessions, (s) => {
      for (const f of this.#federation.servers) void f.handle.release(s.id);
    });
    if (inherited !== null) {
      for (const session of inherited.sessions) this.#sessions.add(session);
      if (inherited.changed) {
        for (const session of inherited.sessions) {
          for (const method of LIST_CHANGED) session.send({ jsonrpc: '2.0', method }, null);
        }
      }
    }
  }

  /**
   * Hands the servers whose config is unchanged in `next` and every client session to the
   * backend replacing this one; what stays here (removed or changed servers) is closed when
   * this backend is retired. `changed`: the set of servers differs.
   */
  #handOver(next: McpBackendSpec): { servers: Map<string, OwnedServer>; sessions: Session[]; changed: boolean } {
    const servers = new Map<string, OwnedServer>();
    for (const s of next.servers) {
      const mine = this.#servers.get(s.name);
      if (mine !== undefined && mine.config === JSON.stringify(s)) {
        servers.set(s.name, mine);
        this.#servers.delete(s.name);
      }
    }
    // What stays here is gone from the config: closed now, or once its calls in flight are
    // answered (the client sessions that hold this backend's streams moved on; waiting for
    // them to close would keep a removed server's processes and sessions open indefinitely).
    for (const [name, o] of this.#servers) {
      this.#servers.delete(name);
      const close = () => { void o.handle.close().then(() => o.upstream?.close()); };
      if (o.handle.inFlight === 0) close();
      else setTimeout(close, o.handle.spec.callTimeoutMs).unref();
    }
    const before = this.spec.servers.map((s) => s.name).sort().join('\0');
    const after = next.servers.map((s) => s.name).sort().join('\0');
    return { servers, sessions: this.#sessions.handOver(), changed: before !== after };
  }

  /** Admin GET /mcp/servers: each server's state, connections and last error (never a credential). */
  adminView(path: string): object | Promise<object> | null {
    if (path === 'mcp/servers') return this.status();
    // Admin GET /mcp/pins: each server's pinned tool definitions and the changes waiting for approval.
    if (path === 'mcp/pins') return this.#pins?.view(this.spec.servers) ?? { servers: this.spec.servers.map((s) => ({ name: s.name, pin: false })) };
    return null;
  }

  /** Admin POST /backends/<name>/mcp/pins/approve: approves a changed tool definition (pinning.ts). */
  adminAction(method: string, path: string, body: unknown): Promise<AdminActionAnswer> | null {
    if (path !== 'mcp/pins/approve' || method !== 'POST') return null;
    if (this.#pins === null) return Promise.resolve(new GatewayError('AE_BAD_REQUEST', { message: `no server of backend ${this.spec.name} pins its tools` }));
    return this.#pins.approve(body);
  }

  status(): object {
    return {
      backend: this.spec.name,
      sessions: this.#sessions.size,
      servers: this.#federation.servers.map((f) => f.handle.status()),
    };
  }

  renderer(): ErrorRenderer { return renderJsonRpcError; }

  /** The endpoint is an OAuth protected resource (MCP authorization): on a route with a jwt policy, the gateway serves its RFC 9728 metadata. */
  resourceMetadata(): Readonly<Record<string, unknown>> { return { resource_name: `agentedge MCP (${this.spec.name})` }; }

  handle(ctx: RequestContext, route: RouteSpec, limits: BodyLimits): void | Promise<void> {
    ctx.render = renderJsonRpcError;
    const sub = subPath(ctx.path, route.pathPrefix);
    if (!hostAllowed(ctx, this.spec.allowedHosts)) {
      // DNS rebinding (RELIABILITY 29): a page whose name was rebound to this address sends
      // its own name as Host and Origin; a local MCP endpoint answers only its own names.
      throw new GatewayError('AE_FORBIDDEN', { message: 'The Host or Origin of this request is not allowed to reach this MCP endpoint.' });
    }
    if (sub === '/') {
      if (ctx.method === 'POST') return this.#post(ctx, limits, null);
      // 2026-07-28 is POST only: no standalone stream, no session to delete.
      if (ctx.req.headers['mcp-protocol-version'] === MODERN_VERSION) return methodNotAllowed(ctx, 'POST');
      if (ctx.method === 'GET') return this.#standalone(ctx);
      if (ctx.method === 'DELETE') return this.#delete(ctx);
      return methodNotAllowed(ctx, 'GET, POST, DELETE');
    }
    if (sub === '/sse') {
      if (ctx.method === 'GET') return this.#legacyOpen(ctx, route);
      if (ctx.method === 'POST') {
        const id = new URLSearchParams(ctx.query).get('sessionId') ?? '';
        const session = this.#sessions.get(id, ownerOf(ctx));
        if (session === undefined || session.transport !== 'sse') return void reply(ctx.res, 404, rpcFailure(null, { code: RPC.INVALID_REQUEST, message: 'Session not found' }));
        return this.#post(ctx, limits, session);
      }
      return methodNotAllowed(ctx, 'GET, POST');
    }
    throw new GatewayError('AE_ROUTE_NOT_FOUND', { message: 'This MCP route serves its endpoint at the route prefix (Streamable HTTP) and the legacy SSE transport at <prefix>/sse.' });
  }

  // --- Streamable HTTP -------------------------------------------------------------

  async #post(ctx: RequestContext, limits: BodyLimits, legacy: Session | null): Promise<void> {
    let raw: Buffer;
    try {
      raw = await readBody(ctx, limits);
    } catch (err) {
      if (err instanceof ClientGoneError) return;
      throw err;
    }
    let body: unknown;
    try {
      body = parseJson(raw.toString('utf8'), { maxDepth: limits.maxJsonDepth, refuseProtoKey: true });
    } catch (err) {
      const why = err instanceof JsonRefusedError ? err.message : 'the body is not valid JSON';
      return void reply(ctx.res, 400, rpcFailure(null, { code: RPC.PARSE_ERROR, message: `Parse error: ${why}` }));
    }
    const c = Array.isArray(body) ? null : classify(body);
    // A request limit whose round trip waits for the call gate (a shared store) is settled
    // here for a message that never reaches one (a list, initialize, a notification):
    // counted is not enough, it must be able to refuse.
    if (c === null || c.kind !== 'request' || !GATED.has(c.msg.method)) await settleDeferred(ctx);
    if (c === null) return this.#batch(ctx, body as unknown[], legacy);
    if (c.kind === 'invalid') return void reply(ctx.res, 400, rpcFailure(c.id, { code: RPC.INVALID_REQUEST, message: `Invalid request: ${c.why}` }));
    if (legacy === null && c.kind !== 'response') {
      // 2026-07-28: the version travels in every message's _meta, and no session exists.
      const claim = modernClaim(c.msg.params);
      const modernHeader = ctx.req.headers['mcp-protocol-version'] === MODERN_VERSION;
      if (claim !== null || modernHeader) {
        if (c.kind === 'notification') return void accepted(ctx.res);
        if (claim === null) return void reply(ctx.res, 400, rpcFailure(c.msg.id, { code: RPC.INVALID_PARAMS, message: `params._meta["io.modelcontextprotocol/protocolVersion"] is required with MCP-Protocol-Version ${MODERN_VERSION}` }));
        return this.#modern(ctx, c.msg, claim);
      }
    }
    if (c.kind === 'request' && c.msg.method === 'initialize') return this.#initialize(ctx, c.msg, legacy);
    const session = legacy ?? await this.#session(ctx);
    if (session === null) return;
    if (c.kind === 'notification') {
      this.#clientNotification(session, c.msg.method, c.msg.params ?? {});
      return void accepted(ctx.res);
    }
    if (c.kind === 'response') {
      session.answer(c.msg.id, c.msg.result, c.msg.error);
      return void accepted(ctx.res);
    }
    if (!session.initialized && legacy === null && session.protocolVersion === null) {
      return void reply(ctx.res, 400, rpcFailure(c.msg.id, { code: RPC.INVALID_REQUEST, message: 'The session is not initialized' }));
    }
    if (legacy !== null) {
      // Legacy SSE: the answer goes on the session's stream; the POST is only accepted.
      accepted(ctx.res);
      const response = await this.#answer(ctx, session, c.msg, () => null);
      if (response !== null) session.stream?.send(response);
      return;
    }
    return this.#respond(ctx, session, c.msg);
  }

  /** Answers one request on its own HTTP response: JSON, or an event stream once an interim message needs one. */
  async #respond(ctx: RequestContext, session: Session, req: JsonRpcRequest, shape: ((r: JsonRpcResponse) => JsonRpcResponse) | null = null): Promise<void> {
    const res = ctx.res;
    const wantsSse = acceptsSse(ctx);
    // A stateless (2026-07-28) client has no session id to be told.
    const sessionHeader = session.transport === 'stateless' ? {} : { 'mcp-session-id': session.id };
    let stream: SseOutbox | null = null;
    const outbox = (): Outbox | null => {
      if (stream !== null) return stream;
      if (!wantsSse || res.headersSent || res.destroyed) return null;
      res.writeHead(200, { ...SSE_HEADERS, ...sessionHeader });
      ctx.observer.firstByte?.(ctx);
      stream = new SseOutbox(res);
      return stream;
    };
    const answered = await this.#answer(ctx, session, req, outbox);
    const response = answered === null || shape === null ? answered : shape(answered);
    const sid = session.transport === 'stateless' ? undefined : session.id;
    const open: SseOutbox | null = stream;
    if (response === null) {
      // Cancelled: the reply ends without a response, as an empty event stream when the
      // client takes one; a JSON reply must carry one, so a JSON-only client gets an error.
      if (open !== null) (open as SseOutbox).end();
      else if (!wantsSse) reply(res, 200, rpcFailure(req.id, { code: RPC.SERVER_ERROR, message: 'Request cancelled' }), sid);
      else if (!res.headersSent && !res.destroyed) res.writeHead(200, { ...SSE_HEADERS, ...sessionHeader }).end();
    } else if (open !== null) {
      (open as SseOutbox).send(response);
      (open as SseOutbox).end();
    } else {
      reply(res, 200, response, sid);
      ctx.observer.firstByte?.(ctx);
    }
  }

  /**
   * Runs a request through the federation; the outcome as a JSON-RPC response, never a
   * throw. Null when the client cancelled it (or left): MCP's cancellation sends no
   * response, and the SDK reports one for an id it has forgotten as an error.
   */
  async #answer(ctx: RequestContext, session: Session, req: JsonRpcRequest, outbox: () => Outbox | null): Promise<JsonRpcResponse | null> {
    const abort = new Cancel();
    const active: ActiveRequest = { id: req.id, server: null, abort, outbox };
    session.active.set(req.id, active);
    // A client that leaves mid-call cancels it upstream.
    const onClose = () => { if (!ctx.res.writableFinished) abort.abort(); };
    ctx.res.once('close', onClose);
    try {
      const result = await this.#federation.dispatch({ ctx, session, active }, req);
      // Another replica continuing the session must see its new log level or subscriptions.
      if (this.#shared !== null && session.transport === 'streamable-http' && RECORDED.has(req.method)) await this.#shared.save(session);
      return abort.aborted ? null : rpcResult(req.id, result);
    } catch (err) {
      if (err instanceof GatewayError) ctx.errorCode = err.code;
      else if (!(isObject(err) && typeof (err as { code?: unknown }).code === 'number')) ctx.observer.internalError?.(ctx, err);
      return abort.aborted ? null : rpcFailure(req.id, toRpcError(err));
    } finally {
      ctx.res.off('close', onClose);
      if (session.active.get(req.id) === active) session.active.delete(req.id);
    }
  }

  async #batch(ctx: RequestContext, items: unknown[], legacy: Session | null): Promise<void> {
    // Batches exist up to 2025-03-26 only; their requests are answered together, as JSON.
    if (items.length === 0) return void reply(ctx.res, 400, rpcFailure(null, { code: RPC.INVALID_REQUEST, message: 'Invalid request: an empty batch' }));
    const session = legacy ?? await this.#session(ctx);
    if (session === null) return;
    if (session.protocolVersion !== null && !BATCH_VERSIONS.has(session.protocolVersion)) {
      return void reply(ctx.res, 400, rpcFailure(null, { code: RPC.INVALID_REQUEST, message: `Invalid request: JSON-RPC batches are not part of protocol revision ${session.protocolVersion} (they were removed in 2025-06-18)` }), session.id);
    }
    const out: JsonRpcResponse[] = [];
    await Promise.all(items.map(async (item) => {
      const c = classify(item);
      if (c.kind === 'invalid') out.push(rpcFailure(c.id, { code: RPC.INVALID_REQUEST, message: `Invalid request: ${c.why}` }));
      else if (c.kind === 'notification') this.#clientNotification(session, c.msg.method, c.msg.params ?? {});
      else if (c.kind === 'response') session.answer(c.msg.id, c.msg.result, c.msg.error);
      else if (c.msg.method === 'initialize') out.push(rpcFailure(c.msg.id, { code: RPC.INVALID_REQUEST, message: 'initialize must not be part of a batch' }));
      else {
        const response = await this.#answer(ctx, session, c.msg, () => null);
        if (response !== null) out.push(response);
      }
    }));
    if (legacy !== null) { accepted(ctx.res); for (const r of out) legacy.stream?.send(r); return; }
    if (out.length === 0) return void accepted(ctx.res);
    reply(ctx.res, 200, out, session.id);
  }

  async #initialize(ctx: RequestContext, req: JsonRpcRequest, legacy: Session | null): Promise<void> {
    const p = req.params ?? {};
    const asked = typeof p.protocolVersion === 'string' ? p.protocolVersion : '';
    const version = DOWNSTREAM_VERSIONS.includes(asked) ? asked : DOWNSTREAM_VERSIONS[0]!;
    const session = legacy ?? new Session(ownerOf(ctx), 'streamable-http');
    session.protocolVersion = version;
    session.clientCapabilities = isObject(p.capabilities) ? p.capabilities : {};
    session.clientInfo = isObject(p.clientInfo) ? p.clientInfo : null;
    if (legacy === null) this.#sessions.add(session);
    // A shared session's record is written before the client learns its id, so its next
    // request may reach any replica.
    const [hello] = await Promise.all([
      this.#federation.hello(session.id),
      legacy === null && this.#shared !== null ? this.#shared.save(session) : null,
    ]);
    const result: Record<string, unknown> = { protocolVersion: version, capabilities: hello.capabilities, serverInfo: GATEWAY_INFO };
    if (hello.instructions !== null) result.instructions = hello.instructions;
    const response = rpcResult(req.id, result);
    if (legacy !== null) { accepted(ctx.res); legacy.stream?.send(response); return; }
    reply(ctx.res, 200, response, session.id);
  }

  /** The session a request names, or null after answering 400 / 404 (503: the shared state cannot be read). */
  async #session(ctx: RequestContext): Promise<Session | null> {
    const id = ctx.req.headers['mcp-session-id'];
    if (typeof id !== 'string' || id === '') {
      reply(ctx.res, 400, rpcFailure(null, { code: RPC.SERVER_ERROR, message: 'Bad Request: Mcp-Session-Id header is required (send initialize first)' }));
      return null;
    }
    const owner = ownerOf(ctx);
    let session = this.#sessions.get(id, owner);
    if (this.#shared !== null && session?.transport === 'streamable-http' && this.#shared.due(session) && !await this.#shared.refresh(session)) {
      // Its record is gone: deleted through another replica (or expired there).
      this.#sessions.end(session);
      session = undefined;
    } else if (this.#shared !== null && session === undefined) {
      // Opened (or continued) by another replica: rebuilt here from its record.
      try {
        session = await this.#shared.load(id, owner) ?? undefined;
      } catch (err) {
        ctx.observer.stateStoreError?.(err);
        reply(ctx.res, 503, rpcFailure(null, { code: RPC.SERVER_ERROR, message: 'The session could not be looked up (the shared state is unreachable); try again' }));
        return null;
      }
      if (session !== undefined) {
        if (session.closed) session = undefined;
        else {
          this.#sessions.add(session);
          // Its first use here extends the record, as it would on the replica that opened it.
          void this.#shared.refresh(session);
          // What it set there (log level, subscriptions) is set on its connections here, which
          // open now rather than on its first call: updates may be all the client waits for.
          if (session.logLevel !== null || session.subscriptions.size > 0) this.#federation.reconnect(session);
        }
      }
    }
    if (session === undefined || session.transport !== 'streamable-http') {
      // Unknown, expired, or another identity's: the same 404, so ids cannot be probed.
      reply(ctx.res, 404, rpcFailure(null, { code: -32001, message: 'Session not found' }));
      return null;
    }
    const header = ctx.req.headers['mcp-protocol-version'];
    if (typeof header === 'string' && header !== session.protocolVersion && !DOWNSTREAM_VERSIONS.includes(header)) {
      reply(ctx.res, 400, rpcFailure(null, { code: RPC.SERVER_ERROR, message: `Bad Request: unsupported MCP-Protocol-Version ${header.slice(0, 40)} (supported: ${DOWNSTREAM_VERSIONS.join(', ')})` }));
      return null;
    }
    return session;
  }

  #byId(id: string): Session | undefined {
    return this.#sessions.byId(id);
  }

  #clientNotification(session: Session, method: string, params: Record<string, unknown>): void {
    if (method === 'notifications/initialized') { session.initialized = true; return; }
    if (method === 'notifications/cancelled') {
      const a = session.active.get(params.requestId as JsonRpcId);
      a?.abort.abort();
      return;
    }
    if (method === 'notifications/roots/list_changed') {
      for (const f of this.#federation.servers) f.handle.notify(session.id, method);
    }
  }

  /** GET P: the session's standalone stream (list changes, resource updates, unrelated server messages). */
  async #standalone(ctx: RequestContext): Promise<void> {
    if (!acceptsSse(ctx)) return methodNotAllowed(ctx, 'POST, DELETE');
    const session = await this.#session(ctx);
    if (session === null) return;
    if (session.stream !== null && session.stream.open) {
      return void reply(ctx.res, 409, rpcFailure(null, { code: RPC.SERVER_ERROR, message: 'Conflict: this session already has an open stream' }));
    }
    ctx.res.writeHead(200, { ...SSE_HEADERS, 'mcp-session-id': session.id });
    ctx.res.flushHeaders();
    ctx.observer.firstByte?.(ctx);
    const stream = new SseOutbox(ctx.res);
    session.stream = stream;
    ctx.res.once('close', () => { if (session.stream === stream) session.stream = null; });
  }

  async #delete(ctx: RequestContext): Promise<void> {
    const session = await this.#session(ctx);
    if (session === null) return;
    this.#sessions.end(session);
    // Every replica then answers 404 for it: at once where it was not held, and where a copy
    // is held at that copy's next refresh of the record (at most sessionTtl/4 after its last).
    await this.#shared?.remove(session.id);
    ctx.res.writeHead(200, { 'content-length': '0' });
    ctx.res.end();
  }

  // --- 2026-07-28 ----------------------------------------------------------------

  /** A stateless request: checked against the revision's rules, then run like any other. */
  async #modern(ctx: RequestContext, req: JsonRpcRequest, claim: string): Promise<void> {
    const refusal = checkModernRequest(ctx, req, claim);
    if (refusal !== null) return void reply(ctx.res, refusal.status, rpcFailure(req.id, refusal.error));
    const mismatch = req.method === 'tools/call' ? this.#federation.paramHeaderMismatch(ctx.req.headers, req.params) : null;
    if (mismatch !== null) return void reply(ctx.res, 400, rpcFailure(req.id, { code: MODERN_RPC.HEADER_MISMATCH, message: `Header mismatch: ${mismatch}` }));
    const session = this.#stateless(ctx);
    const meta = req.params!._meta as Record<string, unknown>;
    // Capabilities come with each request; a relay checks the ones of the request it serves.
    session.clientCapabilities = meta[META_CAPABILITIES] as Record<string, unknown>;
    if (req.method === 'server/discover') {
      const hello = await this.#federation.hello(session.id);
      const { logging: _dropped, ...capabilities } = hello.capabilities;
      const result = { supportedVersions: [MODERN_VERSION, ...DOWNSTREAM_VERSIONS], capabilities, ...(hello.instructions !== null && { instructions: hello.instructions }) };
      return void reply(ctx.res, 200, rpcResult(req.id, modernResult(req.method, result, GATEWAY_INFO)));
    }
    if (req.method === 'subscriptions/listen') return this.#listen(ctx, session, req);
    return this.#respond(ctx, session, req, (r) => r.error !== undefined
      ? rpcFailure(r.id, modernError(r.error))
      : rpcResult(r.id as JsonRpcId, modernResult(req.method, r.result, GATEWAY_INFO)));
  }

  /**
   * The requests of one identity's 2026-07-28 clients share a stateless session: it holds
   * their upstream sessions (an HTTP server still gets one per caller) and their listens.
   */
  #stateless(ctx: RequestContext): Session {
    const owner = ownerOf(ctx);
    const id = `sl-${createHash('sha256').update(owner).digest('hex').slice(0, 32)}`;
    const existing = this.#sessions.get(id, owner);
    if (existing !== undefined) return existing;
    const session = new Session(owner, 'stateless', id);
    session.protocolVersion = MODERN_VERSION;
    session.initialized = true;
    this.#sessions.add(session);
    return session;
  }

  /** subscriptions/listen: a long-lived event stream of the notifications the client asked for. */
  #listen(ctx: RequestContext, session: Session, req: JsonRpcRequest): void {
    const filter = listenFilter(req.params);
    const res = ctx.res;
    res.writeHead(200, SSE_HEADERS);
    ctx.observer.firstByte?.(ctx);
    const stream = new SseOutbox(res);
    stream.send({ jsonrpc: '2.0', method: 'notifications/subscriptions/acknowledged', params: { notifications: filter, _meta: { [META_SUBSCRIPTION]: req.id } } });
    const listen: Listen = { id: req.id, filter, stream };
    session.listens.add(listen);
    for (const uri of filter.resourceSubscriptions ?? []) {
      session.subscriptions.add(uri);
      const split = this.#federation.naming.inward(uri);
      const s = split === null ? undefined : this.#federation.servers.find((f) => f.handle.name === split.server);
      // Upstream, a subscription is the older revisions' resources/subscribe (best effort).
      if (s !== undefined && split !== null) void s.handle.request(session.id, 'resources/subscribe', { uri: split.name }).catch(() => undefined);
    }
    res.once('close', () => {
      session.listens.delete(listen);
      const still = new Set([...session.listens].flatMap((l) => l.filter.resourceSubscriptions ?? []));
      for (const uri of filter.resourceSubscriptions ?? []) if (!still.has(uri)) session.subscriptions.delete(uri);
    });
  }

  // --- legacy HTTP+SSE -------------------------------------------------------------

  #legacyOpen(ctx: RequestContext, route: RouteSpec): void {
    const session = new Session(ownerOf(ctx), 'sse');
    this.#sessions.add(session);
    ctx.res.writeHead(200, SSE_HEADERS);
    ctx.observer.firstByte?.(ctx);
    const stream = new SseOutbox(ctx.res, 'message');
    session.stream = stream;
    const prefix = route.pathPrefix === null || route.pathPrefix === '/' ? '' : route.pathPrefix;
    stream.raw(`event: endpoint\ndata: ${prefix}/sse?sessionId=${session.id}\n\n`);
    // The legacy transport's session lives as long as its stream.
    ctx.res.once('close', () => { this.#sessions.end(session); });
  }

  /** Closes what this backend still owns (a successor may have taken servers and sessions over). */
  async close(): Promise<void> {
    this.#sessions.close();
    const owned = [...this.#servers.values()];
    await Promise.all(owned.map((o) => o.handle.close()));
    await Promise.all(owned.flatMap((o) => o.upstream === null ? [] : [o.upstream.close()]));
  }

  async destroy(): Promise<void> {
    this.#sessions.close();
    const owned = [...this.#servers.values()];
    await Promise.all(owned.map((o) => o.handle.close()));
    await Promise.all(owned.flatMap((o) => o.upstream === null ? [] : [o.upstream.destroy()]));
  }
}

/** The identity a session belongs to. */
function ownerOf(ctx: RequestContext): string {
  const id = ctx.identity;
  return id === null ? 'anonymous' : `${id.kind}:${id.policy}:${id.name}`;
}

function acceptsSse(ctx: RequestContext): boolean {
  const accept = ctx.req.headers.accept;
  return typeof accept === 'string' && accept.includes('text/event-stream');
}

const LOOPBACK_NAMES = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);

/** The host name of a Host header or an origin's host (port and case dropped). */
function hostName(hostPort: string): string {
  const h = hostPort.toLowerCase();
  if (h.startsWith('[')) return h.slice(0, h.indexOf(']') + 1);
  const colon = h.lastIndexOf(':');
  return colon === -1 ? h : h.slice(0, colon);
}

function isLoopbackAddress(a: string | undefined): boolean {
  return a !== undefined && (a.startsWith('127.') || a === '::1' || a.startsWith('::ffff:127.'));
}

/**
 * The DNS-rebinding check. On a listener bound to loopback, Host (and Origin, when a browser
 * sent one) must be a loopback name or one of `allowedHosts`; on a listener bound beyond
 * loopback, Host must be one of `allowedHosts` when set, and Origin must name the same host
 * as Host (or an allowed one).
 */
function hostAllowed(ctx: RequestContext, allowed: readonly string[] | null): boolean {
  const ok = (name: string) => LOOPBACK_NAMES.has(name) || (allowed?.includes(name) ?? false);
  const host = hostName(ctx.req.headers.host ?? '');
  const local = isLoopbackAddress(ctx.req.socket.localAddress);
  if ((local || allowed !== null) && !ok(host)) return false;
  const origin = ctx.req.headers.origin;
  if (typeof origin !== 'string') return true;
  let originHost: string;
  try {
    originHost = hostName(new URL(origin).host);
  } catch {
    return false;
  }
  return local || allowed !== null ? ok(originHost) : originHost === host;
}

function reply(res: ServerResponse, status: number, body: JsonRpcResponse | JsonRpcResponse[], sessionId?: string): void {
  if (res.headersSent || res.destroyed) return;
  const text = JSON.stringify(body);
  const headers: Record<string, string> = { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)) };
  if (sessionId !== undefined) headers['mcp-session-id'] = sessionId;
  res.writeHead(status, headers);
  res.end(text);
}

function accepted(res: ServerResponse): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(202, { 'content-length': '0' });
  res.end();
}

function methodNotAllowed(ctx: RequestContext, allow: string): void {
  const body: JsonRpcErrorObject = { code: RPC.SERVER_ERROR, message: `Method not allowed (this endpoint allows ${allow})` };
  const text = JSON.stringify(rpcFailure(null, body));
  ctx.res.writeHead(405, { allow, 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)) });
  ctx.res.end(text);
}
