// One connection to one upstream MCP server: the official SDK's client transport (stdio,
// Streamable HTTP, legacy HTTP+SSE) carrying raw JSON-RPC messages, with the gateway's own
// bookkeeping on top (it relays messages, so it does not use the SDK's Client, which would
// parse and re-validate every result): the initialize handshake, request ids, timeouts
// and cancellation, progress tokens, and the server's own requests (sampling, elicitation,
// roots) handed to whoever owns the connection. HTTP transports fetch through the
// gateway's upstream stack (core/upstream.ts), so every upstream call passes it.
//
// A stdio server is one process shared by every client session (started on first use,
// restarted with backoff after a crash, stopped when idle: server-pool.ts). An HTTP server
// gets one upstream session per client session, so its server-initiated requests and
// notifications reach exactly the client they belong to.
import { Readable } from 'node:stream';
import { request as undiciRequest, type Dispatcher } from 'undici';
import { SSEClientTransport, StreamableHTTPClientTransport, type Transport } from '@modelcontextprotocol/client';
import { StdioClientTransport, getDefaultEnvironment } from '@modelcontextprotocol/client/stdio';
import type { JSONRPCMessage } from '@modelcontextprotocol/client';
import type { Upstream } from '../core/index.js';
import { Cancel } from './cancel.js';
import { isObject, RPC, RpcError, type JsonRpcErrorObject, type JsonRpcId, type JsonRpcNotification, type JsonRpcRequest } from './jsonrpc.js';
import type { McpServerSpec } from './spec.js';
import { PostFailure, StreamablePoster } from './http-post.js';
import { META_SERVER_INFO, META_SUBSCRIPTION, MODERN_RPC, MODERN_VERSION } from './modern.js';
import { argumentHeaders, envelope, inputRequired, modernOnly, paramHeaders, plainResult, standardHeaders, type ParamHeader } from './modern-client.js';

/** The revision the gateway offers upstream; a server answers with it or its own latest. */
export const UPSTREAM_PROTOCOL_VERSION = '2025-11-25';
/** Revisions the gateway accepts from a server's initialize answer. */
export const UPSTREAM_VERSIONS: readonly string[] = ['2025-11-25', '2025-06-18', '2025-03-26', '2024-11-05'];

/** Most input_required rounds one call of a 2026-07-28 server may take. */
const MAX_INPUT_ROUNDS = 16;

/** First and longest wait before a 2026-07-28 server's ended subscriptions/listen is opened again. */
const LISTEN_RETRY_MS = 1000;
const LISTEN_RETRY_MAX_MS = 30_000;

/** Longest wait for an upstream to acknowledge the end of a session (best effort). */
const TERMINATE_TIMEOUT_MS = 2000;

export const GATEWAY_INFO = Object.freeze({ name: 'agentedge', version: '0.1.0' });

/** What the server said about itself when it was initialized. */
export interface ServerHello {
  readonly protocolVersion: string;
  readonly capabilities: Record<string, unknown>;
  readonly instructions: string | null;
  readonly serverInfo: Record<string, unknown> | null;
}

/**
 * Who a connection hands the server's own messages to. `asker` is the client session a
 * message belongs to when the connection knows it (it came on the answer to that session's
 * request, or is a 2026-07-28 server's input request for it); null otherwise.
 */
export interface ConnectionOwner {
  /** A request from the server (sampling, elicitation, roots, ping): resolve with its result, or throw an RpcError. */
  serverRequest(conn: UpstreamConnection, req: JsonRpcRequest, asker: string | null): Promise<unknown>;
  /** A notification from the server (list_changed, progress, message, resources/updated). */
  notification(conn: UpstreamConnection, n: JsonRpcNotification, asker: string | null): void;
  /** The connection closed (the process exited, the stream broke) while it was open. */
  closed(conn: UpstreamConnection, why: string): void;
  /** Something the operator should know (a tool left out, a subscription lost). */
  warn(conn: UpstreamConnection, message: string): void;
}

/** A failure to reach or use the server (not an error the server answered with). */
export class UpstreamFailure extends Error {
  /** The upstream session is gone (HTTP 404): the call may be retried on a fresh one. */
  readonly sessionLost: boolean;
  constructor(message: string, sessionLost = false) {
    super(message);
    this.name = 'UpstreamFailure';
    this.sessionLost = sessionLost;
  }
}

interface Pending {
  readonly resolve: (v: unknown) => void;
  readonly reject: (e: Error) => void;
  readonly timer: NodeJS.Timeout | null;
  readonly method: string;
}

export interface RequestOptions {
  readonly timeoutMs: number;
  /** Cancels the request: the server is told (notifications/cancelled) and an HTTP exchange aborted. */
  readonly cancel?: Cancel;
  /** The client session the request is made for (see ConnectionOwner). */
  readonly asker?: string;
  /** 2026-07-28 servers, per request: the client's capabilities (default: those given to open) and log level. */
  readonly capabilities?: Record<string, unknown>;
  readonly logLevel?: string | null;
}

/**
 * How a connection reaches its server: the SDK transport (built when the connection opens,
 * with the upstream session's id when this side obtained it) and, for Streamable HTTP, the
 * gateway's own POST for requests (http-post.ts).
 */
export interface UpstreamLink {
  transport(session: { readonly sessionId?: string; readonly protocolVersion?: string }): Transport;
  readonly poster: StreamablePoster | null;
}

/** The link to a server; HTTP ones go through `upstream`'s stack. */
export function createLink(spec: McpServerSpec, upstream: Upstream | null, stderr: (line: string) => void): UpstreamLink {
  if (spec.transport === 'stdio') {
    return {
      poster: null,
      transport: () => {
        const t = new StdioClientTransport({
          command: spec.command,
          args: [...spec.args],
          env: { ...getDefaultEnvironment(), ...spec.env },
          cwd: spec.cwd,
          stderr: 'pipe',
        });
        const err = t.stderr;
        if (err !== null) {
          let rest = '';
          err.on('data', (chunk: Buffer | string) => {
            const lines = (rest + chunk.toString()).split('\n');
            rest = lines.pop() ?? '';
            // Bounded: a server that floods stderr is logged in pieces, never held whole.
            if (rest.length > 8192) { stderr(rest.slice(0, 8192)); rest = ''; }
            for (const line of lines) if (line.trim() !== '') stderr(line.slice(0, 8192));
          });
        }
        return t;
      },
    };
  }
  const fetch = lightFetch(upstream!.dispatcher);
  const requestInit: RequestInit = { headers: { ...spec.headers } };
  if (spec.transport === 'sse') {
    return { poster: null, transport: () => new SSEClientTransport(new URL(spec.url), { fetch, requestInit }) };
  }
  return {
    poster: new StreamablePoster(spec.url, spec.headers, upstream!.dispatch),
    transport: (session) => new StreamableHTTPClientTransport(new URL(spec.url), { fetch, requestInit, ...session }),
  };
}

/**
 * The `fetch` the SDK's HTTP transports are given: one undici request through the upstream
 * stack's dispatcher, answered as a web Response. WHATWG fetch costs several times more per
 * call (a request clone and body tee for `redirect: 'manual'`, which the SDK always asks for,
 * web streams both ways) and keeps an abort listener on the transport's session-long signal
 * per request until the Request is collected; undici's request removes its listener when the
 * exchange ends. Redirects are returned as they are, which is what `manual` means.
 */
export function lightFetch(dispatcher: Dispatcher): typeof globalThis.fetch {
  return (async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const headers: Record<string, string> = {};
    new Headers(init?.headers).forEach((value, name) => { headers[name] = value; });
    const method = init?.method ?? 'GET';
    const body = init?.body;
    const res = await undiciRequest(typeof input === 'string' || input instanceof URL ? input : input.url, {
      dispatcher,
      method: method,
      headers,
      ...(typeof body === 'string' && { body }),
      ...(init?.signal != null && { signal: init.signal }),
    });
    const out = new Headers();
    for (const [name, value] of Object.entries(res.headers)) {
      if (Array.isArray(value)) for (const v of value) out.append(name, v);
      else if (value !== undefined) out.set(name, value);
    }
    const status = res.statusCode;
    if (status === 204 || status === 205 || status === 304 || method === 'HEAD') {
      await res.body.dump();
      return new Response(null, { status, headers: out });
    }
    // An event stream is read as it comes; anything else is small and read whole.
    const streamed = (out.get('content-type') ?? '').startsWith('text/event-stream');
    const payload = streamed ? Readable.toWeb(res.body) as ReadableStream : await res.body.text();
    return new Response(payload, { status, headers: out });
  });
}

/**
 * A JSON-RPC session with one server over one transport. `open()` starts the transport and
 * runs initialize; `request()` sends and waits with a timeout; the owner gets the rest.
 */
export class UpstreamConnection {
  readonly server: string;
  readonly #link: UpstreamLink;
  /** Built by open(): after initialize when this side POSTs (the session id is known then). */
  #transport: Transport | null = null;
  readonly #poster: StreamablePoster | null;
  readonly #owner: ConnectionOwner;
  readonly #pending = new Map<JsonRpcId, Pending>();
  #nextId = 1;
  #closed = false;
  /** 'modern': the server speaks only 2026-07-28 (no session; an envelope on every request). */
  #era: 'legacy' | 'modern' = 'legacy';
  /** The capabilities declared to the server (initialize, or every modern request by default). */
  #capabilities: Record<string, unknown> = {};
  /** Modern: resources a client subscribed to (the listen stream asks for their updates). */
  readonly #subscribed = new Set<string>();
  /** Modern: the open subscriptions/listen, and the wait before opening it again. */
  #listening: Cancel | null = null;
  #listenTimer: NodeJS.Timeout | null = null;
  #listenRetryMs = LISTEN_RETRY_MS;
  /** Modern Streamable HTTP: each listed tool's x-mcp-header annotations. */
  readonly #toolHeaders = new Map<string, readonly ParamHeader[]>();
  hello: ServerHello | null = null;
  /** Requests in flight (an idle stdio process is stopped only when this is 0). */
  get inFlight(): number { return this.#pending.size; }

  constructor(server: string, link: UpstreamLink, owner: ConnectionOwner) {
    this.server = server;
    this.#link = link;
    this.#poster = link.poster;
    this.#owner = owner;
  }

  /** Builds and starts the SDK transport. */
  async #startTransport(session: { sessionId?: string; protocolVersion?: string }, timeoutMs: number): Promise<void> {
    const transport = this.#link.transport(session);
    transport.onmessage = (m) => { this.#onMessage(m); };
    transport.onerror = () => {
      // Errors of one request reach its send(); a broken transport ends in onclose.
    };
    transport.onclose = () => { this.#onClose('the connection closed'); };
    this.#transport = transport;
    await withTimeout(transport.start(), timeoutMs, `did not start within ${timeoutMs} ms`);
  }

  get closed(): boolean { return this.#closed; }

  /**
   * Starts the transport and initializes the server, within `timeoutMs`. A server that
   * answers initialize as one of 2026-07-28 only is used in that revision (`known`: its
   * hello from an earlier connection, so the next ones need no round trip).
   */
  async open(timeoutMs: number, clientCapabilities: Record<string, unknown>, known: ServerHello | null = null): Promise<ServerHello> {
    this.#capabilities = clientCapabilities;
    if (known?.protocolVersion === MODERN_VERSION && this.#poster !== null) return this.#openModern(timeoutMs, known);
    // With the gateway's own POST, initialize goes first and the SDK transport starts with
    // the session it opened; otherwise the transport carries initialize too.
    if (this.#poster === null) await this.#startTransport({}, timeoutMs);
    let result: unknown;
    try {
      result = await this.request('initialize', {
        protocolVersion: UPSTREAM_PROTOCOL_VERSION,
        capabilities: clientCapabilities,
        clientInfo: GATEWAY_INFO,
      }, { timeoutMs });
    } catch (err) {
      if (!modernOnly(err)) throw err;
      return this.#openModern(timeoutMs, null);
    }
    if (!isObject(result) || typeof result.protocolVersion !== 'string') throw new UpstreamFailure('answered initialize without a protocolVersion');
    if (!UPSTREAM_VERSIONS.includes(result.protocolVersion)) throw new UpstreamFailure(`speaks protocol revision ${result.protocolVersion}, which the gateway does not (it speaks ${UPSTREAM_VERSIONS.join(', ')})`);
    if (this.#poster !== null) {
      this.#poster.protocolVersion = result.protocolVersion;
      const sessionId = this.#poster.sessionId;
      await this.#startTransport({ ...(sessionId !== null && { sessionId }), protocolVersion: result.protocolVersion }, timeoutMs);
    } else {
      this.#transport!.setProtocolVersion?.(result.protocolVersion);
    }
    this.hello = {
      protocolVersion: result.protocolVersion,
      capabilities: isObject(result.capabilities) ? result.capabilities : {},
      instructions: typeof result.instructions === 'string' ? result.instructions : null,
      serverInfo: isObject(result.serverInfo) ? result.serverInfo : null,
    };
    await this.notify('notifications/initialized');
    return this.hello;
  }

  /** The server speaks only 2026-07-28: its hello from server/discover (or an earlier connection). */
  async #openModern(timeoutMs: number, known: ServerHello | null): Promise<ServerHello> {
    this.#era = 'modern';
    let hello = known;
    if (hello === null) {
      // Sent as it is: its answer's _meta holds the server's info, which request() would drop.
      const params = envelope(undefined, this.#capabilities, GATEWAY_INFO, null);
      const r = await this.#send('server/discover', params, { timeoutMs }, this.#httpHeaders('server/discover', params));
      if (!isObject(r)) throw new UpstreamFailure('answered server/discover without a result');
      const versions = Array.isArray(r.supportedVersions) ? r.supportedVersions : [];
      if (!versions.includes(MODERN_VERSION)) throw new UpstreamFailure(`supports protocol revisions ${versions.map(String).join(', ') || '(none listed)'}, none of which the gateway speaks`);
      const meta = isObject(r._meta) ? r._meta : {};
      hello = {
        protocolVersion: MODERN_VERSION,
        capabilities: isObject(r.capabilities) ? r.capabilities : {},
        instructions: typeof r.instructions === 'string' ? r.instructions : null,
        serverInfo: isObject(meta[META_SERVER_INFO]) ? meta[META_SERVER_INFO] : null,
      };
    }
    this.hello = hello;
    this.#listen();
    return hello;
  }

  /**
   * Sends a request; resolves with its result, rejects with an RpcError (the server's) or an
   * UpstreamFailure. To a 2026-07-28 server the request goes in the revision's envelope, and
   * what the server asks of the client to finish it (input_required) is asked of the
   * client session as the server's own requests, then the request is sent again with the answers.
   */
  request(method: string, params: Record<string, unknown> | undefined, opts: RequestOptions): Promise<unknown> {
    return this.#era === 'modern' ? this.#modernRequest(method, params, opts) : this.#send(method, params, opts, undefined);
  }

  async #modernRequest(method: string, params: Record<string, unknown> | undefined, opts: RequestOptions): Promise<unknown> {
    switch (method) {
      // Methods the revision removed: the log level travels with each request instead, and
      // resource subscriptions are a filter of the subscriptions/listen stream.
      case 'ping':
      case 'logging/setLevel':
        return {};
      case 'resources/subscribe':
      case 'resources/unsubscribe': {
        const uri = params?.uri;
        if (typeof uri === 'string') {
          if (method === 'resources/subscribe') this.#subscribed.add(uri);
          else this.#subscribed.delete(uri);
          this.#listen();
        }
        return {};
      }
      default:
    }
    let sent = params;
    for (let round = 0; ; round++) {
      const enveloped = envelope(sent, opts.capabilities ?? this.#capabilities, GATEWAY_INFO, opts.logLevel ?? null);
      let result: unknown;
      try {
        result = await this.#send(method, enveloped, opts, this.#httpHeaders(method, enveloped));
      } catch (err) {
        // The server needs a capability the client did not declare: say whose need it is.
        if (err instanceof RpcError && err.code === MODERN_RPC.MISSING_CAPABILITY) {
          throw new RpcError(err.code, `MCP server ${this.server} needs a client capability for ${method} that the client did not declare: ${err.message}`, err.data);
        }
        throw err;
      }
      const input = inputRequired(result);
      if (input === null) return method === 'tools/list' ? this.#screenTools(result) : plainResult(result);
      if (round + 1 >= MAX_INPUT_ROUNDS) throw new UpstreamFailure(`asked the client for input more than ${MAX_INPUT_ROUNDS} times in one ${method}`);
      const responses: Record<string, unknown> = {};
      await Promise.all(Object.entries(input.requests).map(async ([key, r]) => {
        const req: JsonRpcRequest = r.params === undefined ? { jsonrpc: '2.0', id: `input-${key}`, method: r.method } : { jsonrpc: '2.0', id: `input-${key}`, method: r.method, params: r.params };
        try {
          responses[key] = await this.#owner.serverRequest(this, req, opts.asker ?? null);
        } catch (err) {
          const e = err instanceof RpcError ? err : new RpcError(RPC.INTERNAL_ERROR, err instanceof Error ? err.message : String(err));
          throw new RpcError(e.code, `MCP server ${this.server} needs ${r.method} answered by the client to finish ${method}, which failed: ${e.message}`, e.data);
        }
      }));
      sent = { ...params, inputResponses: responses, ...(input.state !== undefined && { requestState: input.state }) };
    }
  }

  /** A modern Streamable HTTP request's mirrored headers (none on stdio). */
  #httpHeaders(method: string, params: Record<string, unknown>): Record<string, string> | undefined {
    if (this.#poster === null) return undefined;
    const headers = standardHeaders(method, params);
    if (method === 'tools/call' && typeof params.name === 'string') {
      const annotations = this.#toolHeaders.get(params.name);
      if (annotations !== undefined && annotations.length > 0) Object.assign(headers, argumentHeaders(annotations, params.arguments));
    }
    return headers;
  }

  /**
   * A modern tools/list: each tool's x-mcp-header annotations kept for its calls; a tool whose
   * annotations break the revision's rules is left out (Streamable HTTP clients must), and logged.
   */
  #screenTools(result: unknown): unknown {
    const plain = plainResult(result);
    if (this.#poster === null || !isObject(plain) || !Array.isArray(plain.tools)) return plain;
    const tools = plain.tools.filter((t: unknown) => {
      if (!isObject(t) || typeof t.name !== 'string') return true;
      const found = paramHeaders(t.inputSchema);
      if ('invalid' in found) {
        this.#toolHeaders.delete(t.name);
        this.#owner.warn(this, `tool ${t.name} left out: ${found.invalid}`);
        return false;
      }
      if (found.headers.length > 0) this.#toolHeaders.set(t.name, found.headers);
      else this.#toolHeaders.delete(t.name);
      return true;
    });
    return { ...plain, tools };
  }

  /**
   * Modern: (re)opens the subscriptions/listen stream for what the server can announce (list
   * changes) and the resources clients subscribed to; opened again after a backoff when it ends.
   */
  #listen(): void {
    this.#listening?.abort();
    this.#listening = null;
    if (this.#listenTimer !== null) { clearTimeout(this.#listenTimer); this.#listenTimer = null; }
    if (this.#closed) return;
    const caps = this.hello?.capabilities ?? {};
    const changes = (k: string): boolean => isObject(caps[k]) && caps[k].listChanged === true;
    const notifications: Record<string, unknown> = {
      ...(changes('tools') && { toolsListChanged: true }),
      ...(changes('prompts') && { promptsListChanged: true }),
      ...(changes('resources') && { resourcesListChanged: true }),
      ...(this.#subscribed.size > 0 && { resourceSubscriptions: [...this.#subscribed] }),
    };
    if (Object.keys(notifications).length === 0) return;
    const abort = new Cancel();
    this.#listening = abort;
    const params = envelope({ notifications }, this.#capabilities, GATEWAY_INFO, null);
    const opened = Date.now();
    const ended = (why: string): void => {
      if (this.#listening !== abort || this.#closed) return;
      this.#listening = null;
      // A stream that lived a while ends normally (a server restart, a proxy's timeout); one
      // that keeps failing at once waits longer each time.
      if (Date.now() - opened > LISTEN_RETRY_MAX_MS) this.#listenRetryMs = LISTEN_RETRY_MS;
      this.#owner.warn(this, `subscriptions/listen ended (${why}); opened again in ${this.#listenRetryMs} ms`);
      this.#listenTimer = setTimeout(() => { this.#listenTimer = null; this.#listen(); }, this.#listenRetryMs);
      this.#listenTimer.unref();
      this.#listenRetryMs = Math.min(this.#listenRetryMs * 2, LISTEN_RETRY_MAX_MS);
    };
    this.#send('subscriptions/listen', params, { timeoutMs: 0, cancel: abort }, this.#httpHeaders('subscriptions/listen', params))
      .then(() => { ended('the server closed it'); }, (err: unknown) => { ended(err instanceof Error ? err.message : String(err)); });
  }

  #send(method: string, params: Record<string, unknown> | undefined, opts: RequestOptions, headers: Record<string, string> | undefined): Promise<unknown> {
    if (this.#closed) return Promise.reject(new UpstreamFailure('the connection is closed'));
    const id = this.#nextId++;
    // A 2026-07-28 request over HTTP is cancelled by closing its response: its own abort.
    const own = this.#era === 'modern' && this.#poster !== null ? new Cancel() : null;
    return new Promise<unknown>((resolve, reject) => {
      const timer = opts.timeoutMs > 0 ? setTimeout(() => {
        if (this.#pending.delete(id)) {
          this.#cancel(id, 'timed out at the gateway');
          own?.abort();
          reject(new UpstreamFailure(`did not answer ${method} within ${opts.timeoutMs} ms`));
        }
      }, opts.timeoutMs) : null;
      this.#pending.set(id, { resolve, reject, timer, method });
      const cancel = opts.cancel;
      if (cancel !== undefined) {
        const onAbort = () => {
          const p = this.#pending.get(id);
          if (p === undefined) return;
          this.#settle(id);
          this.#cancel(id, 'cancelled by the client');
          own?.abort();
          reject(new UpstreamFailure('cancelled'));
        };
        if (cancel.aborted) { onAbort(); return; }
        cancel.onAbort(onAbort);
      }
      const msg = params === undefined ? { jsonrpc: '2.0', id, method } : { jsonrpc: '2.0', id, method, params };
      const asker = opts.asker ?? null;
      const sent = this.#poster !== null
        ? this.#poster.post(msg, (m) => { this.#onMessage(m, asker); }, own ?? cancel, headers)
        : this.#transport!.send(msg as JSONRPCMessage);
      sent.then(() => {
        // An answer without the response (202, or a stream that ended early) leaves the request
        // pending: a response may still come on the standalone stream, or the timeout fires.
      }, (err: unknown) => {
        if (this.#settle(id)) reject(sendFailure(err));
      });
    });
  }

  notify(method: string, params?: Record<string, unknown>): Promise<void> {
    // 2026-07-28 over HTTP: nothing to notify (a request is cancelled by closing its response).
    if (this.#closed || this.#transport === null) return Promise.resolve();
    const msg = params === undefined ? { jsonrpc: '2.0', method } : { jsonrpc: '2.0', method, params };
    return this.#transport.send(msg as JSONRPCMessage).catch(() => undefined);
  }

  /** Closes the transport (a stdio process is terminated, an HTTP session ended); what is pending fails. */
  async close(why = 'the connection was closed by the gateway'): Promise<void> {
    if (this.#closed) return;
    this.#failAll(why);
    this.#closed = true;
    this.#stopListening();
    // Streamable HTTP: end the upstream session with DELETE, as the spec asks of a client that
    // is done with it; closing the transport alone leaves it to the server, and a server that
    // keeps sessions until told would hold one for every client session the gateway ever had.
    const transport = this.#transport;
    if (transport === null) return;
    const http = transport as Partial<Pick<StreamableHTTPClientTransport, 'terminateSession'>>;
    if (typeof http.terminateSession === 'function') {
      await withTimeout(http.terminateSession(), TERMINATE_TIMEOUT_MS, 'did not end its session in time').catch(() => undefined);
    }
    await transport.close().catch(() => undefined);
  }

  #stopListening(): void {
    this.#listening?.abort();
    this.#listening = null;
    if (this.#listenTimer !== null) { clearTimeout(this.#listenTimer); this.#listenTimer = null; }
  }

  #cancel(id: JsonRpcId, reason: string): void {
    void this.notify('notifications/cancelled', { requestId: id, reason });
  }

  /** Removes a pending request and its timer; true when it was still pending. */
  #settle(id: JsonRpcId): Pending | undefined {
    const p = this.#pending.get(id);
    if (p === undefined) return undefined;
    this.#pending.delete(id);
    if (p.timer !== null) clearTimeout(p.timer);
    return p;
  }

  #onMessage(m: unknown, asker: string | null = null): void {
    if (!isObject(m)) return;
    if (typeof m.method === 'string') {
      let params = isObject(m.params) ? m.params : undefined;
      if (Object.hasOwn(m, 'id') && (typeof m.id === 'string' || typeof m.id === 'number')) {
        const req: JsonRpcRequest = params === undefined ? { jsonrpc: '2.0', id: m.id, method: m.method } : { jsonrpc: '2.0', id: m.id, method: m.method, params };
        void this.#answerServerRequest(req, asker);
      } else {
        // A modern listen stream's notifications name the gateway's subscription: not the client's business.
        if (params !== undefined && isObject(params._meta) && Object.hasOwn(params._meta, META_SUBSCRIPTION)) {
          const { [META_SUBSCRIPTION]: _sub, ...meta } = params._meta;
          const { _meta: _m, ...rest } = params;
          params = Object.keys(meta).length === 0 ? rest : { ...rest, _meta: meta };
        }
        this.#owner.notification(this, params === undefined ? { jsonrpc: '2.0', method: m.method } : { jsonrpc: '2.0', method: m.method, params }, asker);
      }
      return;
    }
    if (typeof m.id !== 'string' && typeof m.id !== 'number') return;
    const p = this.#settle(m.id);
    if (p === undefined) return;
    if (isObject(m.error)) {
      const e = m.error as unknown as JsonRpcErrorObject;
      p.reject(new RpcError(typeof e.code === 'number' ? e.code : RPC.INTERNAL_ERROR, typeof e.message === 'string' ? e.message : 'error', e.data));
    } else {
      p.resolve(m.result);
    }
  }

  async #answerServerRequest(req: JsonRpcRequest, asker: string | null): Promise<void> {
    let reply: object;
    try {
      const result = req.method === 'ping' ? {} : await this.#owner.serverRequest(this, req, asker);
      reply = { jsonrpc: '2.0', id: req.id, result };
    } catch (err) {
      const e = err instanceof RpcError ? err.toJSON() : { code: RPC.INTERNAL_ERROR, message: 'The gateway could not relay this request.' };
      reply = { jsonrpc: '2.0', id: req.id, error: e };
    }
    if (!this.#closed) await this.#transport?.send(reply as JSONRPCMessage).catch(() => undefined);
  }

  #onClose(why: string): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#stopListening();
    this.#failAll(why);
    this.#owner.closed(this, why);
  }

  #failAll(why: string): void {
    for (const [id, p] of this.#pending) {
      this.#pending.delete(id);
      if (p.timer !== null) clearTimeout(p.timer);
      p.reject(new UpstreamFailure(why));
    }
  }
}

/** A send that failed: an HTTP 404 means the upstream session expired. */
function sendFailure(err: unknown): UpstreamFailure {
  if (err instanceof PostFailure) return new UpstreamFailure(err.message, err.sessionLost);
  const message = err instanceof Error ? err.message : String(err);
  const status = isObject(err) && typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : null;
  const lost = status === 404 || /\b404\b/.test(message) || /session not found/i.test(message);
  return new UpstreamFailure(lost ? 'the upstream session expired' : `could not be reached: ${message.slice(0, 300)}`, lost);
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  if (ms <= 0) return p;
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => { reject(new UpstreamFailure(what)); }, ms);
    p.then((v) => { clearTimeout(t); resolve(v); }, (e: unknown) => { clearTimeout(t); reject(e instanceof Error ? e : new Error(String(e))); });
  });
}
