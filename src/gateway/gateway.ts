// The gateway process: config → runtime → listeners + admin, and the two things that
// change them while running: reload (file watch, SIGHUP, admin) and shutdown (drain).
// A reload is all-or-nothing: the new file is loaded, compiled and its new ports bound
// before anything is swapped; any failure leaves the old config serving. Requests keep the
// runtime they started with, so a reload never touches a request already running.
import { watch, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';
import type { Logger } from 'pino';
import { ConfigError, formatIssue, scrubSecrets, type RuntimeConfig } from '../config/index.js';
import { readRuntimeConfig } from './config.js';
import { composeObservers, UpstreamStack, type AdminActionAnswer, type PipelineHooks, type RequestObserver, type UpstreamInterceptor } from '../core/index.js';
import { DownstreamListener } from '../listeners/index.js';
import { accessLogObserver } from '../telemetry/access-log.js';
import { createLogger, type LogOutput } from '../telemetry/logger.js';
import { GatewayMetrics, metricsObserver } from '../telemetry/metrics.js';
import { operatorLogObserver } from '../telemetry/operator-log.js';
import { usageLedgerObserver } from '../telemetry/usage-ledger.js';
import { AdminServer, type AdminHost } from '../admin/server.js';
import { buildRuntime, retiredBackends, type BuiltRuntime, type LiveBackend } from './runtime.js';
import { configWarnings } from './config-checks.js';
import { openState, type StateStore } from '../state/index.js';
import type { StateSpec } from '../config/index.js';

export interface GatewayOptions {
  configPath: string;
  env?: Readonly<Record<string, string | undefined>>;
  /** Where logs go (default: stdout). Tests pass a stream to read them. */
  logDestination?: NodeJS.WritableStream;
  logLevel?: string;
  /** Watch the config file (default: the config's gateway.reload.watch). */
  watch?: boolean;
  /** Collect process metrics (CPU, memory, event loop) in /metrics (default true). */
  processMetrics?: boolean;
  /**
   * More subscribers to every request's events (core/observer.ts), after the built-in ones
   * (metrics, usage ledger, access log, operator log). The seam a tracer or an audit log
   * plugs into; tests use it to watch a request's events.
   */
  observers?: readonly RequestObserver[];
  /**
   * Interceptors every upstream call passes (core/upstream.ts UpstreamStack: each attempt,
   * every backend kind, upgrades included): the seam tracing and the egress check use.
   */
  upstreamInterceptors?: readonly UpstreamInterceptor[];
}

export interface ReloadResult { ok: boolean; error?: string; changed: boolean }

/** Editors write a file in several steps; one reload after the burst settles. */
const WATCH_DEBOUNCE_MS = 150;

export class Gateway implements AdminHost {
  readonly logger: Logger;
  readonly metrics: GatewayMetrics;
  readonly #options: GatewayOptions;
  #runtime: BuiltRuntime;
  readonly #listeners = new Map<string, DownstreamListener>();
  /** Listeners a reload replaced or removed, still finishing their requests. */
  readonly #drainingListeners = new Set<DownstreamListener>();
  /** Backends a reload removed, waiting for their last request before closing. */
  readonly #retiringBackends = new Set<LiveBackend>();
  #admin: AdminServer | null = null;
  #watcher: FSWatcher | null = null;
  #debounce: NodeJS.Timeout | null = null;
  #reloading: Promise<ReloadResult> | null = null;
  #queuedReload: Promise<ReloadResult> | null = null;
  #ready = false;
  #draining = false;
  #closing: Promise<void> | null = null;
  readonly #hooks: PipelineHooks;
  /** Every request's events and the process-level ones, to all subscribers (core/observer.ts). */
  readonly #observer: RequestObserver;

  /** Keys, limits, budgets and the usage ledger (src/state); opened at start, closed last. */
  readonly state: StateStore;

  private constructor(options: GatewayOptions, config: RuntimeConfig, state: StateStore, log: LogOutput, operatorLog: RequestObserver) {
    this.#options = options;
    this.state = state;
    this.metrics = new GatewayMetrics(options.processMetrics ?? true, () => this.#inFlight());
    this.logger = log.logger;
    // The order of today's log phase: metrics, then the ledger, then the access log line.
    this.#observer = composeObservers(
      metricsObserver(this.metrics),
      usageLedgerObserver(state),
      accessLogObserver(log, () => this.config.gateway.accessLog),
      operatorLog,
      ...(options.observers ?? []),
    );
    this.#hooks = { observer: this.#observer, draining: () => this.#draining };
    this.#upstreams = new UpstreamStack(options.upstreamInterceptors ?? []);
    this.#runtime = buildRuntime(config, null, this.#observer, this.#policyDeps(), this.#secrets, this.#upstreams);
  }

  #policyDeps(): { state: StateStore; logger: Logger; observer: RequestObserver } {
    return { state: this.state, logger: this.logger, observer: this.#observer };
  }

  /** Validates the config, binds every port, and starts serving. Throws ConfigError on a bad file. */
  static async start(options: GatewayOptions): Promise<Gateway> {
    // Validation first: a bad file fails here, before any port is bound.
    const config = readRuntimeConfig(options.configPath, options.env);
    let gw: Gateway | null = null;
    // The serving config's secrets are scrubbed from every line (a reload changes them).
    const log = createLogger({
      ...(options.logDestination ? { destination: options.logDestination } : {}),
      ...(options.logLevel ? { level: options.logLevel } : {}),
      secrets: () => (gw === null ? config.secrets : gw.#runtime.config.secrets),
    });
    let state: StateStore;
    // The store reports to the operator log until the gateway's observer exists, then to it.
    const operatorLog = operatorLogObserver(log.logger);
    let storeEvents: RequestObserver = operatorLog;
    try {
      state = await openState(stateSpec(config.gateway.state), {
        onError: (err) => storeEvents.stateStoreError?.(err),
      });
    } catch (err) {
      throw new Error(`the state store could not be opened: ${scrubSecrets(describe(err), config.secrets)}`, { cause: err });
    }
    gw = new Gateway(options, config, state, log, operatorLog);
    storeEvents = gw.#observer;
    try {
      for (const [name, lr] of gw.#runtime.listeners) {
        const l = new DownstreamListener(lr, gw.#hooks);
        await l.listen();
        gw.#listeners.set(name, l);
      }
      if (config.gateway.admin) {
        gw.#admin = new AdminServer(gw, config.gateway.admin);
        await gw.#admin.listen();
      }
    } catch (err) {
      await gw.close(0);
      throw err;
    }
    if (options.watch ?? config.gateway.watch) gw.#watch();
    gw.#ready = true;
    gw.logger.info({ listeners: gw.#describeListeners(), admin: gw.adminPort }, 'agentedge started');
    for (const warning of configWarnings(config)) gw.logger.warn(warning);
    return gw;
  }

  get config(): RuntimeConfig { return this.#runtime.config; }
  get ready(): boolean { return this.#ready && !this.#draining; }
  get draining(): boolean { return this.#draining; }
  get adminPort(): number | null { return this.#admin?.port ?? null; }
  /** The bound port of a listener (useful with port 0). */
  port(listener: string): number {
    const l = this.#listeners.get(listener);
    if (!l) throw new Error(`no listener named ${listener}`);
    return l.port;
  }
  listenerNames(): string[] { return [...this.#listeners.keys()]; }

  /** The admin views of the serving backends at `path`, by backend name; null when none has one. */
  async backendViews(path: string): Promise<Record<string, object> | null> {
    let out: Record<string, object> | null = null;
    for (const [name, b] of this.#runtime.backends) {
      const view = b.adminView(path);
      if (view !== null) (out ??= {})[name] = await view;
    }
    return out;
  }

  /** An admin action of the serving backend `backend` at `path`; null when there is no such backend or it serves nothing there. */
  backendAction(backend: string, method: string, path: string, body: unknown): Promise<AdminActionAnswer> | null {
    return this.#runtime.backends.get(backend)?.adminAction(method, path, body) ?? null;
  }

  /** Drops cached stored-key lookups, so a key revoked here stops working at once. */
  forgetKeys(): void { this.#runtime.policies.forgetKeys(); }

  /** The admin API's bearer token: gateway.admin.token, else AGENTEDGE_ADMIN_TOKEN; null when neither is set. */
  adminToken(): string | null {
    const fromConfig = this.config.gateway.admin?.token ?? null;
    if (fromConfig !== null) return fromConfig.reveal();
    const fromEnv = (this.#options.env ?? process.env).AGENTEDGE_ADMIN_TOKEN;
    return fromEnv !== undefined && fromEnv !== '' ? fromEnv : null;
  }

  /**
   * Reloads the config file. A call made while a reload runs gets one more reload after
   * it (shared by every such call), so the file as it is after the call is what applies:
   * an editor's second write during a reload is never lost.
   */
  reload(): Promise<ReloadResult> {
    if (this.#draining) return Promise.resolve({ ok: false, error: 'the gateway is shutting down', changed: false });
    if (this.#reloading) {
      this.#queuedReload ??= this.#reloading.then(() => {
        this.#queuedReload = null;
        return this.reload();
      });
      return this.#queuedReload;
    }
    this.#reloading = this.#doReload().finally(() => { this.#reloading = null; });
    return this.#reloading;
  }

  async #doReload(): Promise<ReloadResult> {
    let next: RuntimeConfig;
    try {
      next = readRuntimeConfig(this.#options.configPath, this.#options.env);
    } catch (err) {
      return this.#reloadFailed(err);
    }
    if (next.text === this.#runtime.config.text) {
      // Same file as serving (e.g. a bad edit reverted): the last attempt did succeed.
      this.metrics.configInfo.set(1);
      return { ok: true, changed: false };
    }
    const previous = this.#runtime;
    if (JSON.stringify(stateSpec(next.gateway.state)) !== JSON.stringify(stateSpec(previous.config.gateway.state))) {
      this.logger.warn('gateway.state changed: the state store in use is kept until a restart');
    }
    let built: BuiltRuntime;
    try {
      built = buildRuntime(next, previous, this.#observer, this.#policyDeps(), this.#secrets, this.#upstreams);
    } catch (err) {
      return this.#reloadFailed(err);
    }

    // Phase 1, undoable: bind every listener that needs a new port. If one is taken,
    // close what was bound and drop the new backends; the old config never stopped.
    const fresh = new Map<string, DownstreamListener>();
    const samePort = new Set<string>();
    const adminMoved = adminAddress(previous.config) !== adminAddress(built.config);
    let freshAdmin: AdminServer | null = null;
    try {
      if (adminMoved && built.config.gateway.admin) {
        freshAdmin = new AdminServer(this, built.config.gateway.admin);
        await freshAdmin.listen();
      }
      for (const [name, lr] of built.listeners) {
        const cur = this.#listeners.get(name);
        if (cur && cur.spec.bindKey === lr.spec.bindKey) continue;
        const l = new DownstreamListener(lr, this.#hooks);
        fresh.set(name, l);
        // Same fixed port, new socket options: the old socket must let go of it first (phase 2).
        if (cur && cur.spec.host === lr.spec.host && cur.spec.port === lr.spec.port && lr.spec.port !== 0) samePort.add(name);
        else await l.listen();
      }
    } catch (err) {
      await Promise.all([...fresh.values()].filter((l) => l.server.listening).map((l) => l.close(0)));
      if (freshAdmin?.server.listening) await freshAdmin.close();
      for (const b of retiredBackends(built, previous)) void b.destroy();
      built.policies.close();
      return this.#reloadFailed(err);
    }

    // Phase 2, commit: swap routes, then retire what the new config no longer has.
    this.#runtime = built;
    const drainMs = built.config.gateway.drainTimeoutMs;
    for (const [name, l] of [...this.#listeners]) {
      const lr = built.listeners.get(name);
      if (lr && !fresh.has(name)) { l.runtime = lr; continue; }
      this.#listeners.delete(name);
      // close() stops accepting at once; the port is free before it resolves.
      this.#drainListener(l, drainMs);
      if (samePort.has(name)) {
        try {
          await fresh.get(name)!.listen();
        } catch (err) {
          // Only a process racing us for the port we just released gets here.
          fresh.delete(name);
          this.logger.error({ listener: name, err: describe(err) }, 'listener could not be rebound after a reload; it is not serving');
        }
      }
    }
    for (const [name, l] of fresh) this.#listeners.set(name, l);
    for (const b of retiredBackends(previous, built)) {
      this.#retiringBackends.add(b);
      b.retire().then(
        () => this.#retiringBackends.delete(b),
        (err: unknown) => this.logger.warn({ err: describe(err) }, 'closing a retired backend failed'),
      );
    }
    if (adminMoved) {
      void this.#admin?.close(true);
      this.#admin = freshAdmin;
    }
    previous.policies.close();
    this.metrics.reloads.inc({ result: 'ok' });
    this.metrics.configInfo.set(1);
    this.logger.info({ listeners: this.#describeListeners(), admin: this.adminPort }, 'config reloaded');
    for (const warning of configWarnings(built.config)) this.logger.warn(warning);
    return { ok: true, changed: true };
  }

  #drainListener(l: DownstreamListener, deadlineMs: number): void {
    this.#drainingListeners.add(l);
    void l.close(deadlineMs).finally(() => this.#drainingListeners.delete(l));
  }

  #reloadFailed(err: unknown): ReloadResult {
    this.metrics.reloads.inc({ result: 'failed' });
    this.metrics.configInfo.set(0);
    // ConfigError lists `path (line L, column C): message`; say it in the message itself so a
    // plain `grep 'reload failed'` shows why. Secrets of the serving config are scrubbed too.
    const why = err instanceof ConfigError ? `${err.file}: ${err.issues.map(formatIssue).join('; ')}` : describe(err);
    const message = scrubSecrets(why, this.#runtime.config.secrets);
    this.logger.error({ file: this.#options.configPath }, `config reload failed, the previous config keeps serving: ${message}`);
    return { ok: false, error: message, changed: false };
  }

  #watch(): void {
    const file = this.#options.configPath;
    const name = basename(file);
    // Watch the folder, not the file: editors that save by rename replace the inode, and
    // a watch on the old inode would never fire again.
    this.#watcher = watch(dirname(file), (_event, changed) => {
      if (changed !== null && changed !== name) return;
      if (this.#debounce) this.#debounce.refresh();
      else this.#debounce = setTimeout(() => { this.#debounce = null; void this.reload(); }, WATCH_DEBOUNCE_MS);
    });
    this.#watcher.on('error', (err) => this.logger.warn({ err: describe(err) }, 'config watch failed; SIGHUP still reloads'));
  }

  /**
   * Stops accepting at once (readiness turns 503), lets in-flight requests finish until
   * the deadline, then cuts what is left and closes the upstream pools and admin.
   */
  close(deadlineMs = this.config.gateway.drainTimeoutMs): Promise<void> {
    // A second signal or caller joins the shutdown already running.
    this.#closing ??= this.#shutdown(deadlineMs);
    return this.#closing;
  }

  async #shutdown(deadlineMs: number): Promise<void> {
    this.#draining = true;
    this.#watcher?.close();
    if (this.#debounce) clearTimeout(this.#debounce);
    // A reload binding ports right now would add listeners after we closed the others.
    if (this.#reloading) await this.#reloading.catch(() => undefined);
    const listeners = [...this.#listeners.values(), ...this.#drainingListeners];
    this.#listeners.clear();
    const inFlight = listeners.reduce((n, l) => n + l.inFlight, 0);
    const closing = listeners.map((l) => l.close(deadlineMs));
    // Logged once every listening socket is closed: from here on, connections are refused.
    this.logger.info({ inFlight, deadlineMs }, 'draining');
    await Promise.all(closing);
    const backends = [...this.#runtime.backends.values(), ...this.#retiringBackends];
    await Promise.all(backends.map((b) => b.destroy()));
    await this.#admin?.close();
    this.#runtime.policies.close();
    // Last: requests that ended above have settled their budgets and written their usage.
    await this.state.close().catch((err: unknown) => this.logger.error({ err: describe(err) }, 'closing the state store failed'));
    this.logger.flush();
  }

  /** What every backend's upstreams are built with (the same stack across reloads). */
  readonly #upstreams: UpstreamStack;

  /** The serving config's secrets, for backends to scrub upstream text of (a reload changes them). */
  readonly #secrets = (): readonly string[] => this.#runtime.config.secrets;

  *#inFlight(): Iterable<[string, number]> {
    for (const l of this.#listeners.values()) yield [l.spec.name, l.inFlight];
    for (const l of this.#drainingListeners) yield [l.spec.name, l.inFlight];
  }

  #describeListeners(): { name: string; host: string; port: number }[] {
    return [...this.#listeners.values()].map((l) => ({ name: l.spec.name, host: l.spec.host, port: l.port }));
  }
}

/** The config's state spec as the state layer takes it (secrets revealed here only). */
export function stateSpec(s: StateSpec): Parameters<typeof openState>[0] {
  return s.kind === 'sqlite' ? s : { kind: s.kind, redisUrl: s.redisUrl.reveal(), postgresUrl: s.postgresUrl.reveal(), prefix: s.prefix, leases: s.leases };
}

/** Where the admin listens, to tell whether a reload must move it ("off" when disabled). */
function adminAddress(c: RuntimeConfig): string {
  const a = c.gateway.admin;
  return a ? `${a.host}:${a.port}` : 'off';
}

function describe(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}
