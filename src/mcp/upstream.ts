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
import type { Cancel } from './cancel.js';
import { isObject, RPC, RpcError, type JsonRpcErrorObject, type JsonRpcId, type JsonRpcNotification, type JsonRpcRequest } from './jsonrpc.js';
import type { McpServerSpec } from './spec.js';
import { PostFailure, StreamablePoster } from './http-post.js';

/** The revision the gateway offers upstream; a server answers with it or its own latest. */
export const UPSTREAM_PROTOCOL_VERSION = '2025-11-25';
/** Revisions the gateway accepts from a server's initialize answer. */
export const UPSTREAM_VERSIONS: readonly string[] = ['2025-11-25', '2025-06-18', '2025-03-26', '2024-11-05'];

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

/** Who a connection hands the server's own messages to. */
export interface ConnectionOwner {
  /** A request from the server (sampling, elicitation, roots, ping): resolve with its result, or throw an RpcError. */
  serverRequest(conn: UpstreamConnection, req: JsonRpcRequest): Promise<unknown>;
  /** A notification from the server (list_changed, progress, message, resources/updated). */
  notification(conn: UpstreamConnection, n: JsonRpcNotification): void;
  /** The connection closed (the process exited, the stream broke) while it was open. */
  closed(conn: UpstreamConnection, why: string): void;
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

  /** Starts the transport and initializes the server, within `timeoutMs`. */
  async open(timeoutMs: number, clientCapabilities: Record<string, unknown>): Promise<ServerHello> {
    // With the gateway's own POST, initialize goes first and the SDK transport starts with
    // the session it opened; otherwise the transport carries initialize too.
    if (this.#poster === null) await this.#startTransport({}, timeoutMs);
    const result = await this.request('initialize', {
      protocolVersion: UPSTREAM_PROTOCOL_VERSION,
      capabilities: clientCapabilities,
      clientInfo: GATEWAY_INFO,
    }, { timeoutMs });
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

  /** Sends a request; resolves with its result, rejects with an RpcError (the server's) or an UpstreamFailure. */
  request(method: string, params: Record<string, unknown> | undefined, opts: RequestOptions): Promise<unknown> {
    if (this.#closed) return Promise.reject(new UpstreamFailure('the connection is closed'));
    const id = this.#nextId++;
    return new Promise<unknown>((resolve, reject) => {
      const timer = opts.timeoutMs > 0 ? setTimeout(() => {
        if (this.#pending.delete(id)) {
          this.#cancel(id, 'timed out at the gateway');
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
          reject(new UpstreamFailure('cancelled'));
        };
        if (cancel.aborted) { onAbort(); return; }
        cancel.onAbort(onAbort);
      }
      const msg = params === undefined ? { jsonrpc: '2.0', id, method } : { jsonrpc: '2.0', id, method, params };
      const sent = this.#poster !== null
        ? this.#poster.post(msg, (m) => { this.#onMessage(m); }, cancel)
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
    if (this.#closed || this.#transport === null) return Promise.resolve();
    const msg = params === undefined ? { jsonrpc: '2.0', method } : { jsonrpc: '2.0', method, params };
    return this.#transport.send(msg as JSONRPCMessage).catch(() => undefined);
  }

  /** Closes the transport (a stdio process is terminated, an HTTP session ended); what is pending fails. */
  async close(why = 'the connection was closed by the gateway'): Promise<void> {
    if (this.#closed) return;
    this.#failAll(why);
    this.#closed = true;
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

  #onMessage(m: unknown): void {
    if (!isObject(m)) return;
    if (typeof m.method === 'string') {
      const params = isObject(m.params) ? m.params : undefined;
      if (Object.hasOwn(m, 'id') && (typeof m.id === 'string' || typeof m.id === 'number')) {
        const req: JsonRpcRequest = params === undefined ? { jsonrpc: '2.0', id: m.id, method: m.method } : { jsonrpc: '2.0', id: m.id, method: m.method, params };
        void this.#answerServerRequest(req);
      } else {
        this.#owner.notification(this, params === undefined ? { jsonrpc: '2.0', method: m.method } : { jsonrpc: '2.0', method: m.method, params });
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

  async #answerServerRequest(req: JsonRpcRequest): Promise<void> {
    let reply: object;
    try {
      const result = req.method === 'ping' ? {} : await this.#owner.serverRequest(this, req);
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
