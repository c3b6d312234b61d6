// Client sessions of one MCP backend, and the channels messages reach a client on.
//
// A session is opened by `initialize` (Streamable HTTP: its id goes back in
// Mcp-Session-Id) or by the GET of the legacy SSE transport; it belongs to the identity
// that opened it (another identity gets 404, as for an unknown id), and is forgotten after
// sessionTtl unused or when maxSessions is passed (least recently used first).
//
// A message the gateway sends a client outside a response (a progress notification, a
// server's sampling request, list_changed) goes on the reply of the request it belongs to
// when that request is still open (a JSON reply turns into an SSE stream for it, when the
// client accepts one), else on the session's standalone stream (the GET stream, or the
// legacy SSE connection).
import { randomBytes } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import type { Cancel } from './cancel.js';
import type { InputBridge } from './input-bridge.js';
import type { JsonRpcId } from './jsonrpc.js';
import { listenWants, META_SUBSCRIPTION, MODERN_VERSION, type ListenFilter } from './modern.js';

/** Somewhere a JSON-RPC message can be written to the client as an SSE event. */
export interface Outbox {
  /** False when the channel is closed (the message was not sent). */
  send(msg: object): boolean;
  readonly open: boolean;
}

/** An SSE stream on an HTTP response (the GET stream, a request's reply, the legacy connection). */
export class SseOutbox implements Outbox {
  readonly #res: ServerResponse;
  readonly #event: string | null;
  constructor(res: ServerResponse, event: string | null = null) {
    this.#res = res;
    this.#event = event;
  }
  get open(): boolean { return !this.#res.destroyed && !this.#res.writableEnded; }
  send(msg: object): boolean {
    if (!this.open) return false;
    this.#res.write(`${this.#event === null ? '' : `event: ${this.#event}\n`}data: ${JSON.stringify(msg)}\n\n`);
    return true;
  }
  /** Writes a raw event (the legacy transport's `endpoint`). */
  raw(text: string): void {
    if (this.open) this.#res.write(text);
  }
  end(): void {
    if (this.open) this.#res.end();
  }
}

/** A request in flight from the client: where its interim messages go, and how to cancel it. */
export interface ActiveRequest {
  readonly id: JsonRpcId;
  /** The server it went to, once known. */
  server: string | null;
  readonly abort: Cancel;
  /** Its own channel for interim messages (null: it has none; use the session's stream). */
  outbox(): Outbox | null;
}

/** A `subscriptions/listen` stream of a 2026-07-28 client: what it asked for, where it goes. */
export interface Listen {
  /** The listen request's id: every notification on the stream carries it as its subscriptionId. */
  readonly id: JsonRpcId;
  readonly filter: ListenFilter;
  readonly stream: SseOutbox;
}

interface PendingClientRequest {
  readonly resolve: (result: unknown) => void;
  readonly reject: (err: Error) => void;
  readonly timer: NodeJS.Timeout;
}

export class Session {
  readonly id: string;
  /** The identity that opened it (`kind:policy:name`, or `anonymous`). */
  readonly owner: string;
  /**
   * 'streamable-http' or 'sse' (legacy: every message goes on `stream`); 'stateless': the
   * requests of one identity's 2026-07-28 clients, which have no session of their own (it
   * holds their upstream sessions and their `subscriptions/listen` streams).
   */
  readonly transport: 'streamable-http' | 'sse' | 'stateless';
  protocolVersion: string | null = null;
  clientCapabilities: Record<string, unknown> = {};
  clientInfo: Record<string, unknown> | null = null;
  initialized = false;
  lastUsed = Date.now();
  /** The standalone stream: the GET stream, or the legacy SSE connection. */
  stream: SseOutbox | null = null;
  readonly active = new Map<JsonRpcId, ActiveRequest>();
  readonly #pending = new Map<string, PendingClientRequest>();
  #nextRequest = 1;
  /** Namespaced resource URIs the client subscribed to. */
  readonly subscriptions = new Set<string>();
  logLevel: string | null = null;
  closed = false;
  /** Stateless (2026-07-28) only: calls waiting for (or able to ask for) the client's input (input-bridge.ts). */
  readonly bridges = new Set<InputBridge>();
  /** Stateless (2026-07-28) only: the open `subscriptions/listen` streams. */
  readonly listens = new Set<Listen>();

  constructor(owner: string, transport: 'streamable-http' | 'sse' | 'stateless', id: string = randomBytes(16).toString('hex')) {
    this.id = id;
    this.owner = owner;
    this.transport = transport;
  }

  /** Sends a message outside a response: on `via`'s channel when it has one, else the standalone stream. */
  send(msg: object, via: ActiveRequest | null): boolean {
    const own = via?.outbox() ?? null;
    if (own !== null && own.open && own.send(msg)) return true;
    if (this.transport === 'stateless') return this.#toListens(msg);
    return this.stream?.send(msg) ?? false;
  }

  /** A 2026-07-28 client gets a notification only on a listen that asked for it, tagged with its id. */
  #toListens(msg: { method?: unknown; params?: Record<string, unknown> }): boolean {
    let sent = false;
    for (const l of this.listens) {
      if (!l.stream.open || !listenWants(l.filter, msg)) continue;
      const params = { ...msg.params, _meta: { ...(msg.params?._meta as object | undefined), [META_SUBSCRIPTION]: l.id } };
      sent = l.stream.send({ ...msg, params }) || sent;
    }
    return sent;
  }

  /**
   * Sends the client a request of the gateway's own (a server's sampling or elicitation,
   * relayed) and waits for its answer, which arrives as a POSTed response.
   */
  request(method: string, params: Record<string, unknown> | undefined, via: ActiveRequest | null, timeoutMs: number): Promise<unknown> {
    if (this.transport === 'stateless') {
      // 2026-07-28 has no server-to-client requests: the client could not answer one.
      return Promise.reject(new Error(`the client speaks MCP ${MODERN_VERSION}, which has no server-to-client requests: ${method} cannot be relayed to it`));
    }
    const id = `ae-${this.#nextRequest++}`;
    return new Promise<unknown>((resolve, reject) => {
      const timer = setTimeout(() => {
        if (this.#pending.delete(id)) reject(new Error(`the client did not answer ${method} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#pending.set(id, { resolve, reject, timer });
      const msg = params === undefined ? { jsonrpc: '2.0', id, method } : { jsonrpc: '2.0', id, method, params };
      if (!this.send(msg, via)) {
        this.#pending.delete(id);
        clearTimeout(timer);
        reject(new Error('the client has no open stream to receive it'));
      }
    });
  }

  /** A response the client POSTed to one of our requests; false when it answers none. */
  answer(id: unknown, result: unknown, error: unknown): boolean {
    if (typeof id !== 'string') return false;
    const p = this.#pending.get(id);
    if (p === undefined) return false;
    this.#pending.delete(id);
    clearTimeout(p.timer);
    if (error !== undefined) p.reject(Object.assign(new Error('the client answered with an error'), { rpc: error }));
    else p.resolve(result);
    return true;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const a of this.active.values()) a.abort.abort();
    for (const [id, p] of this.#pending) {
      this.#pending.delete(id);
      clearTimeout(p.timer);
      p.reject(new Error('the client session ended'));
    }
    this.stream?.end();
    this.stream = null;
    for (const l of this.listens) l.stream.end();
    this.listens.clear();
    for (const b of this.bridges) b.cancel();
    this.bridges.clear();
  }
}

/** The sessions of one backend: lookup by id and owner, TTL and an LRU bound. */
export class SessionTable {
  readonly #sessions = new Map<string, Session>();
  readonly #ttlMs: number;
  readonly #max: number;
  readonly #onEnd: (s: Session) => void;
  readonly #sweep: NodeJS.Timeout;

  constructor(ttlMs: number, max: number, onEnd: (s: Session) => void) {
    this.#ttlMs = ttlMs;
    this.#max = max;
    this.#onEnd = onEnd;
    this.#sweep = setInterval(() => { this.#expire(); }, Math.max(1000, Math.min(ttlMs, 60_000)));
    this.#sweep.unref();
  }

  get size(): number { return this.#sessions.size; }

  add(s: Session): void {
    this.#sessions.set(s.id, s);
    while (this.#sessions.size > this.#max) {
      const oldest = this.#sessions.values().next().value!;
      this.end(oldest);
    }
  }

  /** The session `id` of `owner`; undefined when unknown, expired or someone else's. */
  get(id: string, owner: string): Session | undefined {
    const s = this.#sessions.get(id);
    if (s === undefined || s.owner !== owner) return undefined;
    if (Date.now() - s.lastUsed > this.#ttlMs && s.active.size === 0 && s.stream === null && s.listens.size === 0) {
      this.end(s);
      return undefined;
    }
    s.lastUsed = Date.now();
    // Most recently used last: the LRU bound removes from the front.
    this.#sessions.delete(id);
    this.#sessions.set(id, s);
    return s;
  }

  all(): IterableIterator<Session> { return this.#sessions.values(); }

  /** A session by id whoever owns it (the upstream side: a connection knows its session's id only). */
  byId(id: string): Session | undefined { return this.#sessions.get(id); }

  end(s: Session): void {
    if (this.#sessions.get(s.id) === s) this.#sessions.delete(s.id);
    if (s.closed) return;
    s.close();
    this.#onEnd(s);
  }

  /** A reload's new backend takes the sessions over: they leave this table without ending. */
  handOver(): Session[] {
    const all = [...this.#sessions.values()];
    this.#sessions.clear();
    return all;
  }

  close(): void {
    clearInterval(this.#sweep);
    for (const s of [...this.#sessions.values()]) this.end(s);
  }

  #expire(): void {
    const now = Date.now();
    for (const s of [...this.#sessions.values()]) {
      if (now - s.lastUsed > this.#ttlMs && s.active.size === 0 && (s.stream === null || !s.stream.open) && s.listens.size === 0) this.end(s);
    }
  }
}
