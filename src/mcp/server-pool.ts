// The gateway's side of one configured server: its connections and their lifecycle. A
// stdio server is one shared process, started on the first call, restarted after a crash
// (with a backoff that doubles while it keeps failing), stopped after idleTimeout without
// a call. An HTTP server gets one upstream session per client session (`owner` key),
// opened on that session's first call and closed with it; an expired upstream session is
// re-established once, transparently, on the call that found it gone. A server that fails
// is failed for the backoff: calls get its last error at once, and its entries are left out
// of lists, while the other servers carry on.
import type { Upstream } from '../core/index.js';
import { RpcError } from './jsonrpc.js';
import { MODERN_VERSION } from './modern.js';
import type { ParamHeader } from './modern-client.js';
import { createLink, UpstreamConnection, UpstreamFailure, type ConnectionOwner, type RequestOptions, type ServerHello } from './upstream.js';
import type { McpServerSpec } from './spec.js';

/** The owner key of the one shared connection of a stdio server. */
const SHARED = '';

export interface ServerStatus {
  readonly name: string;
  readonly transport: McpServerSpec['transport'];
  /** idle: not started (or stopped when idle); ready: at least one connection is open. */
  readonly state: 'idle' | 'starting' | 'ready' | 'failed';
  readonly connections: number;
  readonly protocolVersion: string | null;
  readonly lastError: string | null;
  readonly lastErrorAt: string | null;
  readonly restarts: number;
  /** Tools the server listed the last time it was asked (before include / exclude, authorization and pinning); null before. */
  readonly tools: number | null;
}

export interface PoolEvents {
  /** A server's request, from the connection of `owner` ('' for a shared stdio connection). */
  serverRequest(server: string, owner: string, conn: UpstreamConnection, req: Parameters<ConnectionOwner['serverRequest']>[1]): Promise<unknown>;
  notification(server: string, owner: string, n: Parameters<ConnectionOwner['notification']>[1]): void;
  /**
   * A connection opened for `owner` ('' for a shared stdio one): the first one of a session,
   * or a new one after an upstream session expired, a process restarted, or a session
   * continued on this replica. What the client set on the old one is set again with `send`
   * (on this connection, for the session it names), before any call uses it.
   */
  opened(server: string, owner: string, send: (session: string, method: string, params: Record<string, unknown>) => Promise<unknown>): Promise<void>;
  log(server: string, level: 'info' | 'warn' | 'error', message: string): void;
}

/** What the gateway declares upstream: everything it can relay to a client that has it. */
const GATEWAY_CLIENT_CAPABILITIES = Object.freeze({ sampling: {}, elicitation: {}, roots: { listChanged: true } });

export class ServerHandle {
  readonly spec: McpServerSpec;
  readonly #upstream: Upstream | null;
  #events: PoolEvents;
  readonly #conns = new Map<string, Promise<UpstreamConnection>>();
  readonly #open = new Map<string, UpstreamConnection>();
  /** Connections whose upstream session expired, closed once their last call is answered. */
  readonly #retired = new WeakSet<UpstreamConnection>();
  #lastError: string | null = null;
  /** The latest attempt to open a connection failed (or a stdio process crashed since). */
  #lastFailed = false;
  #lastErrorAt = 0;
  #failedUntil = 0;
  #backoffMs: number;
  #restarts = 0;
  #idleTimer: NodeJS.Timeout | null = null;
  #closed = false;
  /** Tools in the server's latest tools/list (admin GET /mcp/servers); null until one was read. */
  toolCount: number | null = null;
  /** The hello of the latest connection (capabilities and instructions for merging). */
  hello: ServerHello | null = null;
  /** Its tools' x-mcp-header annotations, by tool name, as last listed (only tools that have some). */
  paramHeaders: ReadonlyMap<string, readonly ParamHeader[]> = new Map();

  constructor(spec: McpServerSpec, upstream: Upstream | null, events: PoolEvents) {
    this.spec = spec;
    this.#upstream = upstream;
    this.#events = events;
    this.#backoffMs = spec.transport === 'stdio' ? spec.restartBackoffMs : 1000;
  }

  get name(): string { return this.spec.name; }

  /** Requests in flight on this server's connections. */
  get inFlight(): number {
    let n = 0;
    for (const c of this.#open.values()) n += c.inFlight;
    return n;
  }

  /** A reload's new backend took this server over: its events go there from now on. */
  rebind(events: PoolEvents): void { this.#events = events; }

  /** True while a recent failure keeps the server out (lists skip it). */
  get failed(): boolean { return this.#failedUntil > Date.now(); }

  status(): ServerStatus {
    const starting = this.#conns.size > this.#open.size;
    return {
      name: this.spec.name,
      transport: this.spec.transport,
      // Failed until an attempt succeeds, not only during the backoff: the operator asking
      // why a server's tools are missing should still see it after the backoff ran out.
      state: this.#open.size > 0 ? 'ready' : starting ? 'starting' : this.#lastFailed ? 'failed' : 'idle',
      connections: this.#open.size,
      protocolVersion: this.hello?.protocolVersion ?? null,
      lastError: this.#lastError,
      lastErrorAt: this.#lastErrorAt === 0 ? null : new Date(this.#lastErrorAt).toISOString(),
      restarts: this.#restarts,
      tools: this.toolCount,
    };
  }

  #key(owner: string): string {
    return this.spec.transport === 'stdio' ? SHARED : owner;
  }

  /** The connection for a client session (stdio: the shared one), opened when needed. */
  connection(owner: string): Promise<UpstreamConnection> {
    if (this.#closed) return Promise.reject(new UpstreamFailure('the backend was reloaded or closed'));
    const key = this.#key(owner);
    const existing = this.#conns.get(key);
    if (existing !== undefined) return existing;
    if (this.failed) return Promise.reject(new UpstreamFailure(`is failing (${this.#lastError ?? 'unknown error'}); retried after a backoff`));
    const opening = this.#openConnection(key);
    this.#conns.set(key, opening);
    return opening;
  }

  async #openConnection(key: string): Promise<UpstreamConnection> {
    const spec = this.spec;
    // A message the connection can tie to the client session it belongs to goes to that one.
    const owner: ConnectionOwner = {
      serverRequest: (conn, req, asker) => this.#events.serverRequest(spec.name, asker ?? key, conn, req),
      notification: (_conn, n, asker) => { this.#events.notification(spec.name, asker ?? key, n); },
      closed: (conn, why) => { this.#lost(key, conn, why); },
      warn: (_conn, message) => { this.#events.log(spec.name, 'warn', message); },
    };
    let conn: UpstreamConnection | null = null;
    try {
      const link = createLink(spec, this.#upstream, (line) => { this.#events.log(spec.name, 'info', `stderr: ${line}`); });
      conn = new UpstreamConnection(spec.name, link, owner);
      // A server found to speak only 2026-07-28 is not probed again for each session (HTTP).
      const known = this.hello?.protocolVersion === MODERN_VERSION ? this.hello : null;
      const hello = await conn.open(spec.connectTimeoutMs, GATEWAY_CLIENT_CAPABILITIES, known);
      if (this.#closed || this.#conns.get(key) === undefined) {
        await conn.close();
        throw new UpstreamFailure('the backend was reloaded or closed');
      }
      this.hello = hello;
      const opened = conn;
      // What the client sessions set goes first: the connection is open to calls (request()
      // takes an open one without waiting) only once it is restored.
      await this.#events.opened(spec.name, key, (session, method, params) => opened.request(method, params, { timeoutMs: spec.callTimeoutMs, asker: session }));
      if (conn.closed) throw new UpstreamFailure('the connection closed while it was being set up');
      this.#lastFailed = false;
      this.#open.set(key, conn);
      this.#backoffMs = spec.transport === 'stdio' ? spec.restartBackoffMs : 1000;
      if (spec.transport === 'stdio') this.#events.log(spec.name, 'info', `started (protocol ${hello.protocolVersion})`);
      // The idle clock starts now, not at the first request: a process started by a client's
      // initialize and never called would otherwise run forever (a caller's #busy() stops it).
      this.#maybeIdle(conn);
      return conn;
    } catch (err) {
      this.#conns.delete(key);
      await conn?.close().catch(() => undefined);
      const why = err instanceof Error ? err.message : String(err);
      this.#fail(why);
      throw err instanceof UpstreamFailure || err instanceof RpcError ? new UpstreamFailure(`could not be initialized: ${why}`) : new UpstreamFailure(why);
    }
  }

  /** Sends a request on the owner's connection; an expired upstream session is replaced once. */
  async request(owner: string, method: string, params: Record<string, unknown> | undefined, opts: Omit<RequestOptions, 'timeoutMs'> = {}): Promise<unknown> {
    let used: UpstreamConnection | null = null;
    const run = async (): Promise<unknown> => {
      // An open connection is taken as it is: no await before the request goes out.
      const open = this.#closed ? undefined : this.#open.get(this.#key(owner));
      const conn = used = open ?? await this.connection(owner);
      this.#busy();
      try {
        return await conn.request(method, params, { ...opts, asker: owner, timeoutMs: this.spec.callTimeoutMs });
      } finally {
        this.#maybeIdle(conn);
        if (this.#retired.has(conn) && conn.inFlight === 0) void conn.close('the upstream session expired');
      }
    };
    try {
      return await run();
    } catch (err) {
      if (!(err instanceof UpstreamFailure) || !err.sessionLost || used === null) throw err;
      // Only the expired connection is retired: another call that saw the same expiry may
      // already be opening its replacement, which releasing by owner would close under it.
      await this.#retire(this.#key(owner), used);
      this.#events.log(this.spec.name, 'warn', 'upstream session expired; re-established');
      return run();
    }
  }

  /**
   * Forgets an expired connection (unless it was already replaced). Calls still in flight on
   * it keep it until they have their own answer (a 404 sends them to the replacement too);
   * the last one out closes it.
   */
  async #retire(key: string, conn: UpstreamConnection): Promise<void> {
    this.#retired.add(conn);
    if (this.#open.get(key) === conn) {
      this.#open.delete(key);
      this.#conns.delete(key);
    }
    if (conn.inFlight === 0) await conn.close('the upstream session expired');
  }

  /** Sends a notification on the owner's connection when it is open (never opens one). */
  notify(owner: string, method: string, params?: Record<string, unknown>): void {
    void this.#open.get(this.#key(owner))?.notify(method, params);
  }

  /** The connection of `owner` when it is open. */
  openConnection(owner: string): UpstreamConnection | undefined {
    return this.#open.get(this.#key(owner));
  }

  /** The client session ended: its HTTP upstream session is closed (a shared stdio process stays). */
  async release(owner: string): Promise<void> {
    const key = this.#key(owner);
    if (key === SHARED && owner !== SHARED) return;
    const p = this.#conns.get(key);
    this.#conns.delete(key);
    this.#open.delete(key);
    if (p !== undefined) await p.then((c) => c.close(), () => undefined);
  }

  async close(): Promise<void> {
    this.#closed = true;
    if (this.#idleTimer !== null) clearTimeout(this.#idleTimer);
    const all = [...this.#conns.values()];
    this.#conns.clear();
    this.#open.clear();
    await Promise.all(all.map((p) => p.then((c) => c.close(), () => undefined)));
  }

  #fail(why: string): void {
    this.#lastError = why;
    this.#lastFailed = true;
    this.#lastErrorAt = Date.now();
    this.#failedUntil = Date.now() + this.#backoffMs;
    const max = this.spec.transport === 'stdio' ? this.spec.maxRestartBackoffMs : 30_000;
    this.#backoffMs = Math.min(this.#backoffMs * 2, max);
    this.#events.log(this.spec.name, 'warn', `failed: ${why}`);
  }

  /** A connection closed under us: a stdio process exited (counted as a crash), an SSE stream broke. */
  #lost(key: string, conn: UpstreamConnection, why: string): void {
    if (this.#open.get(key) !== conn) return;
    this.#open.delete(key);
    this.#conns.delete(key);
    if (this.#closed) return;
    if (this.spec.transport === 'stdio') {
      this.#restarts++;
      this.#fail(`the process exited (${why}); restarted on the next call`);
    } else {
      this.#events.log(this.spec.name, 'warn', `connection closed: ${why}`);
    }
  }

  #busy(): void {
    if (this.#idleTimer !== null) { clearTimeout(this.#idleTimer); this.#idleTimer = null; }
  }

  /** A stdio process with nothing in flight is stopped after idleTimeout. */
  #maybeIdle(conn: UpstreamConnection): void {
    const spec = this.spec;
    if (spec.transport !== 'stdio' || spec.idleTimeoutMs <= 0 || conn.inFlight > 0 || this.#closed) return;
    if (this.#idleTimer !== null) clearTimeout(this.#idleTimer);
    this.#idleTimer = setTimeout(() => {
      this.#idleTimer = null;
      if (conn.inFlight > 0 || this.#open.get(SHARED) !== conn) return;
      this.#open.delete(SHARED);
      this.#conns.delete(SHARED);
      this.#events.log(spec.name, 'info', `stopped after ${spec.idleTimeoutMs} ms idle`);
      void conn.close('stopped when idle');
    }, spec.idleTimeoutMs);
    this.#idleTimer.unref();
  }
}
