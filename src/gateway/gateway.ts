// The gateway process: config → runtime → listeners + admin, and the two things that
// change them while running: reload (file watch, SIGHUP, admin) and shutdown (drain).
// A reload is all-or-nothing: the new file is loaded, compiled and its new ports bound
// before anything is swapped; any failure leaves the old config serving.
import { watch, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';
import type { Logger } from 'pino';
import { ConfigError, readRuntimeConfig, type RuntimeConfig } from '../config/index.js';
import type { RequestContext, PipelineHooks } from '../core/index.js';
import { DownstreamListener } from '../listeners/index.js';
import { accessRecord, writeAccessLog } from '../telemetry/access-log.js';
import { createLogger } from '../telemetry/logger.js';
import { GatewayMetrics } from '../telemetry/metrics.js';
import { AdminServer } from '../admin/server.js';
import { buildRuntime, retiredBackends, type BuiltRuntime } from './runtime.js';

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
}

export interface ReloadResult { ok: boolean; error?: string; changed: boolean }

export class Gateway {
  readonly logger: Logger;
  readonly metrics: GatewayMetrics;
  readonly #options: GatewayOptions;
  #runtime: BuiltRuntime;
  readonly #listeners = new Map<string, DownstreamListener>();
  #admin: AdminServer | null = null;
  #watcher: FSWatcher | null = null;
  #debounce: NodeJS.Timeout | null = null;
  #reloading: Promise<ReloadResult> | null = null;
  #ready = false;
  #draining = false;
  readonly #hooks: PipelineHooks;

  private constructor(options: GatewayOptions, config: RuntimeConfig) {
    this.#options = options;
    this.metrics = new GatewayMetrics(options.processMetrics ?? true);
    this.logger = createLogger({
      ...(options.logDestination ? { destination: options.logDestination } : {}),
      ...(options.logLevel ? { level: options.logLevel } : {}),
      secrets: () => this.#runtime.config.secrets,
    });
    this.#hooks = {
      done: (ctx) => this.#requestDone(ctx),
      internalError: (ctx, err) => this.logger.error({ requestId: ctx.id, err: describe(err) }, 'internal error'),
      draining: () => this.#draining,
    };
    this.#runtime = buildRuntime(config, null, this.#observer);
  }

  /** Validates the config, binds every port, and starts serving. Throws ConfigError on a bad file. */
  static async start(options: GatewayOptions): Promise<Gateway> {
    const config = readRuntimeConfig(options.configPath, options.env);
    const gw = new Gateway(options, config);
    try {
      for (const [name, lr] of gw.#runtime.listeners) {
        const l = new DownstreamListener(lr, gw.#hooks, gw.#listenerEvents);
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
    gw.logger.info({ listeners: [...gw.#listeners.values()].map((l) => ({ name: l.spec.name, host: l.spec.host, port: l.port })), admin: gw.adminPort }, 'agentedge started');
    return gw;
  }

  get config(): RuntimeConfig { return this.#runtime.config; }
  get ready(): boolean { return this.#ready && !this.#draining; }
  get adminPort(): number | null { return this.#admin?.port ?? null; }
  /** The bound port of a listener (useful with port 0). */
  port(listener: string): number {
    const l = this.#listeners.get(listener);
    if (!l) throw new Error(`no listener named ${listener}`);
    return l.port;
  }
  listenerNames(): string[] { return [...this.#listeners.keys()]; }

  /** Reloads the config file. Concurrent calls share one reload. */
  reload(): Promise<ReloadResult> {
    this.#reloading ??= this.#doReload().finally(() => { this.#reloading = null; });
    return this.#reloading;
  }

  async #doReload(): Promise<ReloadResult> {
    let next: RuntimeConfig;
    try {
      next = readRuntimeConfig(this.#options.configPath, this.#options.env);
    } catch (err) {
      return this.#reloadFailed(err);
    }
    if (next.text === this.#runtime.config.text) return { ok: true, changed: false };
    const previous = this.#runtime;
    const built = buildRuntime(next, previous, this.#observer);
    // Bind new or changed listeners first: if a port is taken, nothing has changed yet.
    const fresh = new Map<string, DownstreamListener>();
    try {
      for (const [name, lr] of built.listeners) {
        const cur = this.#listeners.get(name);
        if (cur && cur.spec.bindKey === lr.spec.bindKey) continue;
        if (cur && cur.spec.port === lr.spec.port && lr.spec.port !== 0) {
          // Same port, new socket options: the old socket must go first.
          fresh.set(name, new DownstreamListener(lr, this.#hooks, this.#listenerEvents));
          continue;
        }
        const l = new DownstreamListener(lr, this.#hooks, this.#listenerEvents);
        await l.listen();
        fresh.set(name, l);
      }
    } catch (err) {
      for (const l of fresh.values()) if (l.server.listening) await l.close(0);
      for (const b of retiredBackends(built, previous)) void b.handler.destroy();
      return this.#reloadFailed(err);
    }
    this.#runtime = built;
    const drain = this.config.gateway.drainTimeoutMs;
    for (const [name, l] of this.#listeners) {
      const lr = built.listeners.get(name);
      if (lr && !fresh.has(name)) { l.runtime = lr; continue; }
      this.#listeners.delete(name);
      const closing = l.close(drain);
      const replacement = fresh.get(name);
      if (replacement && !replacement.server.listening) {
        await closing;
        await replacement.listen();
      } else {
        void closing;
      }
    }
    for (const [name, l] of fresh) this.#listeners.set(name, l);
    for (const b of retiredBackends(previous, built)) void b.handler.close();
    this.metrics.reloads.labels('ok').inc();
    this.metrics.configInfo.set(1);
    this.logger.info({ listeners: [...this.#listeners.keys()] }, 'config reloaded');
    return { ok: true, changed: true };
  }

  #reloadFailed(err: unknown): ReloadResult {
    this.metrics.reloads.labels('failed').inc();
    this.metrics.configInfo.set(0);
    const message = err instanceof ConfigError ? err.message : describe(err);
    this.logger.error({ error: message }, 'config reload failed; the previous config keeps serving');
    return { ok: false, error: message, changed: false };
  }

  #watch(): void {
    const file = this.#options.configPath;
    const name = basename(file);
    // Watch the folder, not the file: editors that save by rename replace the inode.
    this.#watcher = watch(dirname(file), (_event, changed) => {
      if (changed !== null && changed !== name) return;
      if (this.#debounce) this.#debounce.refresh();
      else this.#debounce = setTimeout(() => { this.#debounce = null; void this.reload(); }, 150);
    });
    this.#watcher.on('error', (err) => this.logger.warn({ err: describe(err) }, 'config watch failed; SIGHUP still reloads'));
  }

  /** Stops accepting, drains in-flight requests up to the deadline, closes everything. */
  async close(deadlineMs = this.config.gateway.drainTimeoutMs): Promise<void> {
    this.#draining = true;
    this.#watcher?.close();
    if (this.#debounce) clearTimeout(this.#debounce);
    await Promise.all([...this.#listeners.values()].map((l) => l.close(deadlineMs)));
    this.#listeners.clear();
    await Promise.all([...this.#runtime.backends.values()].map((b) => b.handler.destroy()));
    await this.#admin?.close();
    this.logger.flush();
  }

  readonly #observer = {
    upstreamError: (backend: string, code: string) => this.metrics.upstreamErrors.labels(backend, code).inc(),
    upstreamRetry: (backend: string) => this.metrics.upstreamRetries.labels(backend).inc(),
  };

  readonly #listenerEvents = {
    rejected: (listener: string, reason: string) => this.metrics.downstreamRejected.labels(listener, reason).inc(),
  };

  #requestDone(ctx: RequestContext): void {
    const ms = ctx.elapsedMs();
    // A client that left before the response finished is logged as 499 (nginx's convention).
    const status = ctx.clientAborted && !ctx.res.writableFinished ? 499 : ctx.res.statusCode;
    const route = ctx.route ?? '-';
    this.metrics.observeRequest(ctx.listener, route, status, ms / 1000);
    if (ctx.clientAborted) this.metrics.clientAborts.labels(ctx.listener, route).inc();
    writeAccessLog(this.logger, this.config.gateway.accessLog, accessRecord(ctx, status, ms));
  }
}

function describe(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}
