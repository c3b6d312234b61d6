// The federation: what one client request means across the servers of a backend. Lists
// are merged from every server that answers (a failing one is left out and logged, never
// failing the list), names are namespaced (names.ts) and filtered twice: by the server's
// tools.include / exclude (whoever asks) and by the route's call gate (what this caller may
// use). Calls go to the one server a name or URI belongs to, through the call gate first;
// a refused or unknown call is a JSON-RPC error and the upstream is never reached.
import type { CallGate, RequestContext } from '../core/index.js';
import { Cancel } from './cancel.js';
import { CallRecord } from './call-record.js';
import { InputBridge } from './input-bridge.js';
import { CALL_TOOL, innerCall, SEARCH_TOOL, SEARCH_TOOLSET, searchTools } from './toolset.js';
import { isObject, RPC, RpcError, type JsonRpcNotification, type JsonRpcRequest } from './jsonrpc.js';
import { globMatcher, NAMESPACED, type Naming } from './names.js';
import type { ToolPins } from './pinning.js';
import type { ServerHandle } from './server-pool.js';
import type { SessionSettings } from './session-store.js';
import type { ActiveRequest, Session } from './session.js';
import { UpstreamFailure, type UpstreamConnection } from './upstream.js';
import { decodeHeaderValue, META_LOG_LEVEL, MODERN_VERSION } from './modern.js';
import { argumentHeaders, paramHeaders, type ParamHeader } from './modern-client.js';

/** Most entries of one list page the gateway sends a client. */
export const PAGE_SIZE = 100;
/** Most pages read from one server for one list (a server that pages forever is cut off). */
const MAX_UPSTREAM_PAGES = 100;

type ListKind = 'tools' | 'prompts' | 'resources' | 'resourceTemplates';
const LIST_METHOD: Record<ListKind, string> = { tools: 'tools/list', prompts: 'prompts/list', resources: 'resources/list', resourceTemplates: 'resources/templates/list' };
const CAPABILITY: Record<ListKind, string> = { tools: 'tools', prompts: 'prompts', resources: 'resources', resourceTemplates: 'resources' };

/** One server as the federation sees it. */
export interface FederatedServer {
  readonly handle: ServerHandle;
  /** tools.include / exclude as one predicate on the server's own tool names. */
  readonly allowsTool: (name: string) => boolean;
}

export function federatedServer(handle: ServerHandle): FederatedServer {
  const include = globMatcher(handle.spec.tools.include);
  const exclude = globMatcher(handle.spec.tools.exclude);
  return { handle, allowsTool: (name) => (include === null || include(name)) && (exclude === null || !exclude(name)) };
}

/** A call on its way: the request, its session and what a server needs to answer it. */
export interface CallContext {
  readonly ctx: RequestContext;
  readonly session: Session;
  readonly active: ActiveRequest;
}

export class Federation {
  readonly #servers = new Map<string, FederatedServer>();
  readonly #order: readonly FederatedServer[];
  /** Gateway progress tokens → the client's own, and where to send the notifications. */
  readonly #progress = new Map<string, { readonly token: unknown; readonly session: Session; readonly active: ActiveRequest }>();
  #nextToken = 1;
  /** Calls of 2026-07-28 clients waiting for their input, by requestState (input-bridge.ts). */
  readonly #parked = new Map<string, InputBridge>();

  readonly #naming: Naming;
  /** Tool pinning (pinning.ts); null when no server pins. */
  readonly #pins: ToolPins | null;

  /** `toolset: search`: two tools of the gateway's own instead of every definition (toolset.ts). */
  readonly #searchToolset: boolean;

  constructor(servers: readonly FederatedServer[], naming: Naming = NAMESPACED, pins: ToolPins | null = null, searchToolset = false) {
    this.#order = servers;
    this.#naming = naming;
    this.#pins = pins;
    this.#searchToolset = searchToolset;
    for (const s of servers) this.#servers.set(s.handle.name, s);
  }

  get servers(): readonly FederatedServer[] { return this.#order; }

  /** How names and URIs are shown to clients (names.ts). */
  get naming(): Naming { return this.#naming; }

  /** The merged capabilities and instructions of the servers that answer (initialize). */
  async hello(owner: string): Promise<{ capabilities: Record<string, unknown>; instructions: string | null }> {
    await Promise.all(this.#order.map((s) => s.handle.connection(owner).catch(() => undefined)));
    const has = (cap: string, sub?: string) => this.#order.some((s) => {
      const c = s.handle.hello?.capabilities[cap];
      return sub === undefined ? c !== undefined : isObject(c) && c[sub] === true;
    });
    const capabilities: Record<string, unknown> = {
      // Servers may come and go (a reload, a failing server): lists can always change.
      tools: { listChanged: true },
      prompts: { listChanged: true },
      resources: { listChanged: true, subscribe: true },
      logging: {},
    };
    if (has('completions')) capabilities.completions = {};
    const parts = this.#order.flatMap((s) => s.handle.hello?.instructions ? [`## ${s.handle.name}\n${s.handle.hello.instructions}`] : []);
    return { capabilities, instructions: parts.length === 0 ? null : parts.join('\n\n') };
  }

  /**
   * Answers one client request (not initialize, which the endpoint handles). Not async
   * itself: each method's own promise is handed on as it is, a layer less per call.
   */
  dispatch(call: CallContext, req: JsonRpcRequest): Promise<unknown> {
    const params = req.params ?? {};
    switch (req.method) {
      case 'ping': return Promise.resolve({});
      case 'tools/list': return this.#searchToolset ? Promise.resolve({ tools: SEARCH_TOOLSET }) : this.#list(call, 'tools', params);
      case 'prompts/list': return this.#list(call, 'prompts', params);
      case 'resources/list': return this.#list(call, 'resources', params);
      case 'resources/templates/list': return this.#list(call, 'resourceTemplates', params);
      case 'tools/call': return this.#searchToolset ? this.#callSearchToolset(call, req) : this.#callNamed(call, req, 'tool');
      case 'prompts/get': return this.#callNamed(call, req, 'prompt');
      case 'resources/read': return this.#callResource(call, req);
      case 'resources/subscribe':
      case 'resources/unsubscribe': return this.#subscribe(call, req);
      case 'completion/complete': return this.#complete(call, req);
      case 'logging/setLevel': return this.#setLevel(call, params);
      default: return Promise.reject(new RpcError(RPC.METHOD_NOT_FOUND, `Method not found: ${req.method}`));
    }
  }

  // --- lists -----------------------------------------------------------------------

  async #list(call: CallContext, kind: ListKind, params: Record<string, unknown>): Promise<unknown> {
    const offset = decodeCursor(params.cursor);
    const all = await this.#entries(call, kind);
    const page = all.slice(offset, offset + PAGE_SIZE);
    const out: Record<string, unknown> = { [kind]: page };
    if (offset + PAGE_SIZE < all.length) out.nextCursor = encodeCursor(offset + PAGE_SIZE);
    return out;
  }

  /** `toolset: search`: search_tools over what the caller may see, call_tool as a direct call would go. */
  async #callSearchToolset(call: CallContext, req: JsonRpcRequest): Promise<unknown> {
    const params = req.params ?? {};
    const args = isObject(params.arguments) ? params.arguments : {};
    if (params.name === SEARCH_TOOL) return searchTools(await this.#entries(call, 'tools'), args);
    if (params.name === CALL_TOOL) {
      const inner = innerCall(args);
      return this.#callNamed(call, { ...req, params: { ...params, name: inner.name, arguments: inner.arguments } }, 'tool');
    }
    throw new RpcError(RPC.INVALID_PARAMS, `Unknown tool: ${clip(String(params.name))} (this endpoint has toolset: search: find tools with ${SEARCH_TOOL}, call them with ${CALL_TOOL})`);
  }

  /** The merged list of one kind, as this caller sees it. */
  async #entries(call: CallContext, kind: ListKind): Promise<Record<string, unknown>[]> {
    const owner = call.session.id;
    const perServer = await Promise.all(this.#order.map(async (s) => {
      if (s.handle.failed) return [];
      try {
        const conn = await s.handle.connection(owner);
        if (conn.hello !== null && conn.hello.capabilities[CAPABILITY[kind]] === undefined) return [];
        const entries = kind === 'tools' ? await this.#tools(s, owner) : await this.#listAll(s, owner, kind);
        return entries.flatMap((entry) => this.#federate(call, s, kind, entry));
      } catch {
        // The server's failure is logged by its handle and shown by admin /mcp/servers.
        return [];
      }
    }));
    return perServer.flat();
  }

  /** Every page of one server's list. */
  async #listAll(s: FederatedServer, owner: string, kind: ListKind): Promise<Record<string, unknown>[]> {
    const entries: Record<string, unknown>[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < MAX_UPSTREAM_PAGES; page++) {
      const result = await s.handle.request(owner, LIST_METHOD[kind], cursor === undefined ? undefined : { cursor });
      if (!isObject(result)) break;
      const list = result[kind];
      if (Array.isArray(list)) for (const e of list) if (isObject(e)) entries.push(e);
      if (typeof result.nextCursor !== 'string' || result.nextCursor === '') break;
      cursor = result.nextCursor;
    }
    return entries;
  }

  /** A server's tools, a tool whose definition changed since it was pinned withheld (pinning.ts). */
  async #tools(s: FederatedServer, owner: string): Promise<Record<string, unknown>[]> {
    const tools = await this.#listAll(s, owner, 'tools');
    s.handle.toolCount = tools.length;
    s.handle.paramHeaders = annotatedTools(tools);
    if (this.#pins === null) return tools;
    return this.#pins.screen(s.handle.name, s.handle.openConnection(owner), tools.filter((t) => typeof t.name === 'string' && s.allowsTool(t.name)));
  }

  /**
   * A 2026-07-28 client's `Mcp-Param-*` headers of a tools/call, checked against the body for
   * the tool's x-mcp-header annotations as last listed (the revision: a server that reads the
   * body must refuse a mismatch, so that what an intermediary routed on is what is called).
   * Null when they agree, or when the tool's annotations are not known here.
   */
  paramHeaderMismatch(headers: Readonly<Record<string, string | string[] | undefined>>, params: Record<string, unknown> | undefined): string | null {
    const split = typeof params?.name === 'string' ? this.#naming.inward(params.name) : null;
    const annotations = split === null ? undefined : this.#servers.get(split.server)?.handle.paramHeaders.get(split.name);
    if (annotations === undefined) return null;
    const expected = argumentHeaders(annotations, params?.arguments);
    for (const a of annotations) {
      const name = `mcp-param-${a.name.toLowerCase()}`;
      const sent = headers[name];
      const want = expected[name];
      if (want === undefined ? sent !== undefined : typeof sent !== 'string' || decodeHeaderValue(sent) !== decodeHeaderValue(want)) {
        return `Mcp-Param-${a.name} must ${want === undefined ? 'be absent when' : 'equal'} params.arguments.${a.path.join('.')}${want === undefined ? ' is' : ''}`;
      }
    }
    return null;
  }

  /** One server's entry as the client sees it (namespaced), or nothing when it is hidden. */
  #federate(call: CallContext, s: FederatedServer, kind: ListKind, entry: Record<string, unknown>): Record<string, unknown>[] {
    const server = s.handle.name;
    const gate = call.ctx.gate;
    if (kind === 'tools' || kind === 'prompts') {
      if (typeof entry.name !== 'string') return [];
      if (kind === 'tools' && !s.allowsTool(entry.name)) return [];
      const method = kind === 'tools' ? 'tools/call' : 'prompts/get';
      if (!permits(gate, call.ctx, { server, method, tool: { name: entry.name } })) return [];
      return [{ ...entry, name: this.#naming.outward(server, entry.name) }];
    }
    if (kind === 'resources') {
      if (typeof entry.uri !== 'string') return [];
      if (!permits(gate, call.ctx, { server, method: 'resources/read', tool: { name: entry.uri } })) return [];
      return [{ ...entry, uri: this.#naming.outward(server, entry.uri) }];
    }
    if (typeof entry.uriTemplate !== 'string') return [];
    return [{ ...entry, uriTemplate: this.#naming.outward(server, entry.uriTemplate) }];
  }

  // --- calls -----------------------------------------------------------------------

  /** The server a namespaced name or URI belongs to, and the name as that server knows it. */
  #target(value: unknown, what: string): { s: FederatedServer; name: string } {
    if (typeof value !== 'string' || value === '') throw new RpcError(RPC.INVALID_PARAMS, `${what} is required`);
    const split = this.#naming.inward(value);
    const s = split === null ? undefined : this.#servers.get(split.server);
    if (split === null || s === undefined) {
      const code = what === 'uri' ? RPC.RESOURCE_NOT_FOUND : RPC.INVALID_PARAMS;
      throw new RpcError(code, `Unknown ${what === 'uri' ? 'resource' : what}: ${clip(value)} (names are <server>__<name>; no server of this route is called "${clip(split?.server ?? value)}")`);
    }
    return { s, name: split.name };
  }

  async #callNamed(call: CallContext, req: JsonRpcRequest, what: 'tool' | 'prompt'): Promise<unknown> {
    const params = req.params ?? {};
    const { s, name } = this.#target(params.name, what === 'tool' ? 'tool' : 'prompt');
    if (what === 'tool' && !s.allowsTool(name)) throw new RpcError(RPC.INVALID_PARAMS, `Unknown tool: ${clip(String(params.name))}`);
    // The usage ledger's record of the call (call-record.ts): refused, or answered ok / error.
    const record = new CallRecord(call.ctx, call.active.abort, req.method, String(params.name), s.handle.name, name);
    if (what === 'tool' && this.#pins !== null) {
      // A withheld tool is refused before the server is reached: one Map lookup once listed.
      const owner = call.session.id;
      let held: Promise<void> | undefined;
      try {
        held = this.#pins.admit(s.handle.name, owner, s.handle.openConnection(owner), name, () => this.#tools(s, owner)
          .then(() => s.handle.openConnection(owner), (err: unknown) => { throw upstreamError(s.handle.name, err); }));
      } catch (err) {
        held = Promise.reject(err instanceof Error ? err : new Error(String(err)));
      }
      if (held !== undefined) await record.admitted(held, 403);
    }
    const args = isObject(params.arguments) ? params.arguments : undefined;
    // A 2026-07-28 retry that continues a held call was admitted (and counted) when it began.
    if (call.ctx.gate !== null && !this.#continues(call, params)) await record.admitted(admit(call.ctx, { server: s.handle.name, method: req.method, tool: { name, arguments: args ?? {} } }));
    return record.answered(this.#forward(call, s, req, { ...params, name }));
  }

  async #callResource(call: CallContext, req: JsonRpcRequest): Promise<unknown> {
    const params = req.params ?? {};
    const { s, name: uri } = this.#target(params.uri, 'uri');
    const record = new CallRecord(call.ctx, call.active.abort, req.method, String(params.uri), s.handle.name, uri);
    if (call.ctx.gate !== null && !this.#continues(call, params)) await record.admitted(admit(call.ctx, { server: s.handle.name, method: req.method, tool: { name: uri, arguments: {} } }));
    const result = await record.answered(this.#forward(call, s, req, { ...params, uri }));
    if (isObject(result) && Array.isArray(result.contents)) {
      return { ...result, contents: result.contents.map((c: unknown) => isObject(c) && typeof c.uri === 'string' ? { ...c, uri: this.#naming.outward(s.handle.name, c.uri) } : c) };
    }
    return result;
  }

  async #subscribe(call: CallContext, req: JsonRpcRequest): Promise<unknown> {
    const params = req.params ?? {};
    const { s, name: uri } = this.#target(params.uri, 'uri');
    await admit(call.ctx, { server: s.handle.name, method: req.method, tool: { name: uri, arguments: {} } });
    const result = await this.#forward(call, s, req, { ...params, uri });
    if (req.method === 'resources/subscribe') call.session.subscriptions.add(String(params.uri));
    else call.session.subscriptions.delete(String(params.uri));
    return result;
  }

  async #complete(call: CallContext, req: JsonRpcRequest): Promise<unknown> {
    const params = req.params ?? {};
    const ref = isObject(params.ref) ? params.ref : null;
    if (ref === null) throw new RpcError(RPC.INVALID_PARAMS, 'ref is required');
    if (ref.type === 'ref/prompt') {
      const { s, name } = this.#target(ref.name, 'prompt');
      await admit(call.ctx, { server: s.handle.name, method: req.method, tool: { name, arguments: {} } });
      return this.#forward(call, s, req, { ...params, ref: { ...ref, name } });
    }
    if (ref.type === 'ref/resource') {
      const { s, name: uri } = this.#target(ref.uri, 'uri');
      await admit(call.ctx, { server: s.handle.name, method: req.method, tool: { name: uri, arguments: {} } });
      return this.#forward(call, s, req, { ...params, ref: { ...ref, uri } });
    }
    throw new RpcError(RPC.INVALID_PARAMS, 'ref.type must be ref/prompt or ref/resource');
  }

  async #setLevel(call: CallContext, params: Record<string, unknown>): Promise<unknown> {
    if (typeof params.level !== 'string') throw new RpcError(RPC.INVALID_PARAMS, 'level is required');
    call.session.logLevel = params.level;
    await Promise.all(this.#order.map(async (s) => {
      if (s.handle.failed || s.handle.hello?.capabilities.logging === undefined) return;
      await s.handle.request(call.session.id, 'logging/setLevel', { level: params.level }).catch(() => undefined);
    }));
    return {};
  }

  /** Sends the call to its server, with the client's progress token swapped for one of ours. */
  async #forward(call: CallContext, s: FederatedServer, req: JsonRpcRequest, params: Record<string, unknown>): Promise<unknown> {
    const server = s.handle.name;
    call.active.server = server;
    let token: string | null = null;
    let meta = isObject(params._meta) ? params._meta : null;
    // A server that speaks only 2026-07-28 is told, per request, of the client the call is for.
    const client = s.handle.hello?.protocolVersion === MODERN_VERSION ? asClient(call.session, meta) : null;
    if (meta !== null && Object.keys(meta).some(isProtocolMetaKey)) {
      // A 2026-07-28 client's envelope (version, capabilities, client info) is between it and
      // the gateway: the upstream session speaks the revision it was initialized with, and the
      // SDK transport would turn the claimed version into that session's header.
      meta = Object.fromEntries(Object.entries(meta).filter(([k]) => !isProtocolMetaKey(k)));
      params = { ...params, _meta: meta };
    }
    if (call.session.transport === 'stateless' && BRIDGED.has(req.method)) {
      try {
        return await this.#bridged(call, s, req, params, meta, client);
      } catch (err) {
        throw upstreamError(server, err);
      }
    }
    if (meta !== null && meta.progressToken !== undefined) {
      token = `${server}-p${this.#nextToken++}`;
      this.#progress.set(token, { token: meta.progressToken, session: call.session, active: call.active });
      params = { ...params, _meta: { ...meta, progressToken: token } };
    }
    try {
      return await s.handle.request(call.session.id, req.method, params, { cancel: call.active.abort, ...client });
    } catch (err) {
      throw upstreamError(server, err);
    } finally {
      if (token !== null) this.#progress.delete(token);
    }
  }

  /**
   * A 2026-07-28 client's call: the server's own requests during it become input_required
   * rounds (input-bridge.ts). A retry carrying `requestState` continues the held call. The
   * call's progress goes to the response that is open: the first, then each retry's (with
   * the token the retry carries; none, none relayed).
   */
  async #bridged(call: CallContext, s: FederatedServer, req: JsonRpcRequest, params: Record<string, unknown>,
    meta: Record<string, unknown> | null, client: ClientFacts | null): Promise<unknown> {
    const session = call.session;
    const server = s.handle.name;
    const clientToken = meta?.progressToken;
    let bridge: InputBridge;
    if (params.requestState !== undefined) {
      const held = typeof params.requestState === 'string' ? this.#parked.get(params.requestState) : undefined;
      if (held === undefined || held.owner !== session.id || held.server !== server || held.method !== req.method) {
        throw new RpcError(RPC.INVALID_PARAMS, 'requestState is unknown or has expired (a call waiting for input is kept for the call timeout, by the gateway process that answered input_required)');
      }
      this.#parked.delete(held.token);
      bridge = held;
      bridge.resume();
      if (bridge.progress !== null) {
        if (clientToken === undefined) this.#progress.delete(bridge.progress);
        else this.#progress.set(bridge.progress, { token: clientToken, session, active: call.active });
      }
      bridge.answer(params.inputResponses);
    } else {
      let progress: string | null = null;
      if (clientToken !== undefined) {
        progress = `${server}-p${this.#nextToken++}`;
        this.#progress.set(progress, { token: clientToken, session, active: call.active });
        params = { ...params, _meta: { ...meta, progressToken: progress } };
      }
      // The upstream call outlives this response (it waits for the client's retry): its own abort.
      const abort = new Cancel();
      const upstream = s.handle.request(session.id, req.method, params, { cancel: abort, ...client });
      bridge = new InputBridge(session.id, server, req.method, upstream, abort);
      bridge.progress = progress;
      session.bridges.add(bridge);
    }
    // 2026-07-28: closing the response stream cancels the call.
    const onAbort = () => { this.#drop(session, bridge); };
    const forget = call.active.abort.onAbort(onAbort);
    try {
      const step = await bridge.next();
      if (step.kind === 'result') {
        this.#ended(session, bridge);
        return step.value;
      }
      this.#parked.set(bridge.token, bridge);
      bridge.park(s.handle.spec.callTimeoutMs, () => { this.#drop(session, bridge); });
      return step.result;
    } catch (err) {
      this.#ended(session, bridge);
      throw err;
    } finally {
      forget();
    }
  }

  /**
   * True for a retry that continues a call held for the client's input: its own session's,
   * still parked (#bridged checks server and method, and answers the held call whatever name
   * the retry carries, so skipping the gate here lets nothing else through).
   */
  #continues(call: CallContext, params: Record<string, unknown>): boolean {
    const state = params.requestState;
    return call.session.transport === 'stateless' && typeof state === 'string' && this.#parked.get(state)?.owner === call.session.id;
  }

  #drop(session: Session, bridge: InputBridge): void {
    this.#parked.delete(bridge.token);
    this.#ended(session, bridge);
    bridge.cancel();
  }

  /** A bridged call is over: its session and progress token forget it. */
  #ended(session: Session, bridge: InputBridge): void {
    session.bridges.delete(bridge);
    if (bridge.progress !== null) this.#progress.delete(bridge.progress);
  }

  // --- what servers send -------------------------------------------------------------

  /**
   * A notification from a server: progress goes to the request it belongs to, with the
   * client's own token; list changes and resource updates to the sessions concerned.
   */
  notification(server: string, owner: string, n: JsonRpcNotification, sessions: () => Iterable<Session>, byId: (id: string) => Session | undefined): void {
    const p = n.params ?? {};
    // The connection's tools changed: its next call lists them again (pinning.ts).
    if (n.method === 'notifications/tools/list_changed') this.#pins?.forget(this.#servers.get(server)?.handle.openConnection(owner));
    switch (n.method) {
      case 'notifications/progress': {
        const entry = typeof p.progressToken === 'string' ? this.#progress.get(p.progressToken) : undefined;
        if (entry !== undefined) entry.session.send({ jsonrpc: '2.0', method: n.method, params: { ...p, progressToken: entry.token } }, entry.active);
        return;
      }
      case 'notifications/tools/list_changed':
      case 'notifications/prompts/list_changed':
      case 'notifications/resources/list_changed':
        for (const s of concerned(owner, sessions, byId)) s.send({ jsonrpc: '2.0', method: n.method }, null);
        return;
      case 'notifications/resources/updated': {
        if (typeof p.uri !== 'string') return;
        const uri = this.#naming.outward(server, p.uri);
        for (const s of concerned(owner, sessions, byId)) {
          if (s.subscriptions.has(uri)) s.send({ jsonrpc: '2.0', method: n.method, params: { ...p, uri } }, null);
        }
        return;
      }
      case 'notifications/message': {
        const msg = { jsonrpc: '2.0', method: n.method, params: { ...p, logger: typeof p.logger === 'string' ? `${server}/${p.logger}` : server } };
        const target = owner === '' ? onlyCaller(server, sessions) : byId(owner);
        if (target !== undefined) target.send(msg, callerOf(target, server));
        return;
      }
      default:
        // Other notifications (cancelled, custom ones) concern the upstream session only.
        return;
    }
  }

  /**
   * The session's log level or subscriptions were changed through another replica: the
   * change is made on this replica's open connections too (closed ones get it from
   * restore()), before the request that found it goes on.
   */
  async changed(session: Session, before: SessionSettings): Promise<void> {
    const sent: Promise<unknown>[] = [];
    const send = (server: string, method: string, params: Record<string, unknown>): void => {
      const s = this.#servers.get(server);
      if (s !== undefined && s.handle.openConnection(session.id) !== undefined) sent.push(s.handle.request(session.id, method, params));
    };
    if (session.logLevel !== null && session.logLevel !== before.logLevel) {
      for (const s of this.#order) if (s.handle.hello?.capabilities.logging !== undefined) send(s.handle.name, 'logging/setLevel', { level: session.logLevel });
    }
    const toggle = (uri: string, method: string): void => {
      const split = this.#naming.inward(uri);
      if (split !== null) send(split.server, method, { uri: split.name });
    };
    for (const uri of session.subscriptions) if (!before.subscriptions.has(uri)) toggle(uri, 'resources/subscribe');
    for (const uri of before.subscriptions) if (!session.subscriptions.has(uri)) toggle(uri, 'resources/unsubscribe');
    if (sent.length > 0) await Promise.allSettled(sent);
  }

  /** Opens the session's connections to the servers its log level or subscriptions concern (restore() then sets them). */
  reconnect(session: Session): void {
    for (const s of this.#order) {
      const subscribed = [...session.subscriptions].some((uri) => this.#naming.inward(uri)?.server === s.handle.name);
      if (subscribed || session.logLevel !== null) void s.handle.connection(session.id).catch(() => undefined);
    }
  }

  /**
   * A new upstream connection knows nothing of what its client sessions set on an earlier one
   * (a session continued on this replica, an expired upstream session re-established, a
   * restarted stdio process): their log level and resource subscriptions are sent again, on
   * that connection before any call uses it (best effort, like the relay of the originals).
   */
  async restore(server: string, owner: string, send: (session: string, method: string, params: Record<string, unknown>) => Promise<unknown>,
    sessions: () => Iterable<Session>, byId: (id: string) => Session | undefined): Promise<void> {
    const s = this.#servers.get(server);
    if (s === undefined) return;
    const sent: Promise<unknown>[] = [];
    for (const session of concerned(owner, sessions, byId)) {
      if (session.logLevel !== null && s.handle.hello?.capabilities.logging !== undefined) {
        sent.push(send(session.id, 'logging/setLevel', { level: session.logLevel }));
      }
      for (const uri of session.subscriptions) {
        const split = this.#naming.inward(uri);
        if (split?.server === server) sent.push(send(session.id, 'resources/subscribe', { uri: split.name }));
      }
    }
    if (sent.length > 0) await Promise.allSettled(sent);
  }

  /**
   * A server's own request (sampling, elicitation, roots): relayed to the client session it
   * belongs to, when the client declared the capability, on the open reply of its call.
   */
  async serverRequest(server: string, owner: string, _conn: UpstreamConnection, req: JsonRpcRequest, sessions: () => Iterable<Session>, byId: (id: string) => Session | undefined, timeoutMs: number): Promise<unknown> {
    const session = owner === '' ? onlyCaller(server, sessions) : byId(owner);
    if (session?.transport === 'stateless') {
      // A 2026-07-28 client: the request is held and put to it as an input_required round.
      const bridges = [...session.bridges].filter((b) => b.server === server);
      if (bridges.length === 1) {
        const needs = CLIENT_CAPABILITY[req.method];
        if (needs === undefined || session.clientCapabilities[needs] === undefined) {
          throw new RpcError(RPC.METHOD_NOT_FOUND, `the client did not declare the ${needs ?? req.method} capability, so ${req.method} cannot reach it`);
        }
        return bridges[0]!.hold(req.method, req.params);
      }
    }
    if (session === undefined) {
      throw new RpcError(RPC.INTERNAL_ERROR, `agentedge cannot tell which client session ${req.method} of server ${server} belongs to (no single client has a call in flight on it)`);
    }
    const needs = CLIENT_CAPABILITY[req.method];
    if (needs === undefined) throw new RpcError(RPC.METHOD_NOT_FOUND, `agentedge does not relay ${req.method} to clients`);
    if (session.clientCapabilities[needs] === undefined) {
      throw new RpcError(RPC.METHOD_NOT_FOUND, `the client did not declare the ${needs} capability, so ${req.method} cannot reach it`);
    }
    try {
      return await session.request(req.method, req.params, callerOf(session, server), timeoutMs);
    } catch (err) {
      const rpc = isObject(err) && isObject((err as { rpc?: unknown }).rpc) ? (err as unknown as { rpc: { code?: unknown; message?: unknown; data?: unknown } }).rpc : null;
      if (rpc !== null) throw new RpcError(typeof rpc.code === 'number' ? rpc.code : RPC.INTERNAL_ERROR, typeof rpc.message === 'string' ? rpc.message : 'error', rpc.data);
      throw new RpcError(RPC.INTERNAL_ERROR, err instanceof Error ? err.message : String(err));
    }
  }
}

/** `_meta` keys of the protocol's own envelope (2026-07-28: version, capabilities, client info, log level). */
const isProtocolMetaKey = (k: string): boolean => k.startsWith('io.modelcontextprotocol/');

/**
 * What a 2026-07-28 server is told of the client a call is for (in each request's envelope):
 * the client's capabilities the gateway can relay, and its log level. A server that needs a
 * capability the client lacks says so in its answer, which reaches the client.
 */
interface ClientFacts { readonly capabilities: Record<string, unknown>; readonly logLevel: string | null }

function asClient(session: Session, meta: Record<string, unknown> | null): ClientFacts {
  const caps = session.clientCapabilities;
  const capabilities: Record<string, unknown> = {};
  for (const k of RELAYED_CAPABILITIES) if (isObject(caps[k])) capabilities[k] = caps[k];
  // A 2026-07-28 client sets its level per request; an older one with logging/setLevel.
  const level = meta?.[META_LOG_LEVEL];
  return { capabilities, logLevel: typeof level === 'string' ? level : session.logLevel };
}

const RELAYED_CAPABILITIES = ['sampling', 'elicitation', 'roots'] as const;

/** The methods whose results may be input_required in 2026-07-28. */
const BRIDGED = new Set(['tools/call', 'prompts/get', 'resources/read']);

const CLIENT_CAPABILITY: Readonly<Record<string, string>> = { 'sampling/createMessage': 'sampling', 'elicitation/create': 'elicitation', 'roots/list': 'roots' };

/** The sessions a notification of a connection concerns: its own session, or all for a shared one. */
function concerned(owner: string, sessions: () => Iterable<Session>, byId: (id: string) => Session | undefined): Iterable<Session> {
  if (owner !== '') { const s = byId(owner); return s === undefined ? [] : [s]; }
  return sessions();
}

/** The one session with a call in flight on `server` (or one waiting for its input); undefined when none or several. */
function onlyCaller(server: string, sessions: () => Iterable<Session>): Session | undefined {
  let found: Session | undefined;
  for (const s of sessions()) {
    if (callerOf(s, server) === null && ![...s.bridges].some((b) => b.server === server)) continue;
    if (found !== undefined) return undefined;
    found = s;
  }
  return found;
}

/** The session's most recent request in flight on `server`. */
function callerOf(s: Session, server: string): ActiveRequest | null {
  let last: ActiveRequest | null = null;
  for (const a of s.active.values()) if (a.server === server) last = a;
  return last;
}

function permits(gate: CallGate | null, ctx: RequestContext, subject: object): boolean {
  return gate === null || gate.permits(ctx, subject);
}

async function admit(ctx: RequestContext, subject: { server: string; method: string; tool: { name: string; arguments: Record<string, unknown> } }): Promise<void> {
  const gate = ctx.gate;
  if (gate !== null) await gate.admit(ctx, { subject, usage: null });
}

/** A failure to reach a server as the client's JSON-RPC error, naming the server. */
export function upstreamError(server: string, err: unknown): unknown {
  if (err instanceof RpcError) return err;
  if (err instanceof UpstreamFailure) return new RpcError(RPC.SERVER_ERROR, `MCP server ${server} ${err.message}`, { server });
  return err;
}

function encodeCursor(offset: number): string {
  return Buffer.from(`o:${offset}`).toString('base64url');
}

function decodeCursor(cursor: unknown): number {
  if (cursor === undefined || cursor === null) return 0;
  if (typeof cursor === 'string') {
    const m = /^o:(\d{1,9})$/.exec(Buffer.from(cursor, 'base64url').toString('latin1'));
    if (m !== null) return Number(m[1]);
  }
  throw new RpcError(RPC.INVALID_PARAMS, 'Invalid cursor');
}

function clip(s: string): string {
  return s.length > 200 ? `${s.slice(0, 200)}…` : s;
}

/** The x-mcp-header annotations of the tools that have valid ones, by tool name. */
function annotatedTools(tools: readonly Record<string, unknown>[]): Map<string, readonly ParamHeader[]> {
  const out = new Map<string, readonly ParamHeader[]>();
  for (const t of tools) {
    if (typeof t.name !== 'string' || !isObject(t.inputSchema)) continue;
    const found = paramHeaders(t.inputSchema);
    if ('headers' in found && found.headers.length > 0) out.set(t.name, found.headers);
  }
  return out;
}
