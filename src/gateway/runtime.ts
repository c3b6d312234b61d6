// Builds what requests run on from a compiled config: for every listener its routes with
// their filter chains and backend handlers. Backend handlers own connection pools, so a
// reload reuses the handler of a backend whose spec did not change, and retires the rest:
// a retired pool closes only once the last request that chose it is done, so a request
// routed just before a reload never meets a closed pool.
import type { Duplex } from 'node:stream';
import type { BackendSpec, PolicySpec, RouteSpec, RuntimeConfig } from '../config/index.js';
import { LlmBackend } from '../llm/index.js';
import { corsFilter, HttpBackend, orderFilters, type BackendHandler, type BodyLimits, type Filter, type ListenerRuntime, type ProxyObserver, type RequestContext } from '../core/index.js';

export interface BuiltRuntime {
  readonly config: RuntimeConfig;
  readonly listeners: ReadonlyMap<string, ListenerRuntime>;
  readonly backends: ReadonlyMap<string, LiveBackend>;
}

type PooledHandler = BackendHandler & { close(): Promise<void>; destroy(): Promise<void> };

/**
 * A backend handler that counts the requests using it. Routes call `handler`.
 * Requests are counted from handle(): filters are synchronous today, so a request reaches
 * its handler in the tick it was routed in and no reload can retire the backend in between.
 */
export class LiveBackend {
  readonly key: string;
  readonly handler: BackendHandler;
  readonly #inner: PooledHandler;
  #active = 0;
  #onIdle: (() => void) | null = null;

  constructor(key: string, inner: PooledHandler) {
    this.key = key;
    this.#inner = inner;
    const release = () => {
      if (--this.#active === 0) this.#onIdle?.();
    };
    // A request holds the backend until its response closes (the pipeline calls ctx.ended).
    const handle = (ctx: RequestContext, route: RouteSpec, limits: BodyLimits) => {
      this.#active++;
      ctx.onEnd(release);
      return inner.handle(ctx, route, limits);
    };
    // An upgraded connection holds it until both sockets close.
    const upgrade = (ctx: RequestContext, route: RouteSpec, socket: Duplex, head: Buffer) => {
      this.#active++;
      return inner.upgrade!(ctx, route, socket, head).finally(release);
    };
    this.handler = inner.upgrade ? { kind: inner.kind, handle, upgrade } : { kind: inner.kind, handle };
  }

  get active(): number { return this.#active; }

  /** Closes the pool gracefully once no request is using it. */
  retire(): Promise<void> {
    if (this.#active === 0) return this.#inner.close();
    return new Promise<void>((resolve) => {
      this.#onIdle = () => { this.#onIdle = null; resolve(this.#inner.close()); };
    });
  }

  /** Closes the pool now, cutting whatever is still running. */
  destroy(): Promise<void> { return this.#inner.destroy(); }
}

export function buildRuntime(config: RuntimeConfig, previous: BuiltRuntime | null, observer: ProxyObserver): BuiltRuntime {
  const backends = new Map<string, LiveBackend>();
  for (const [name, spec] of config.backends) {
    const old = previous?.backends.get(name);
    backends.set(name, old && old.key === spec.key ? old : new LiveBackend(spec.key, createBackend(spec, observer)));
  }
  const filtersFor = (names: readonly string[]): readonly Filter[] =>
    orderFilters(names.map((n) => createFilter(config.policies.get(n)!)));
  const listeners = new Map<string, ListenerRuntime>();
  for (const l of config.listeners) {
    listeners.set(l.name, Object.freeze({
      spec: l,
      routes: l.routes.map((r) => Object.freeze({
        spec: r,
        limits: Object.freeze({ maxBodyBytes: r.maxBodyBytes, bodyIdleTimeoutMs: l.limits.bodyIdleTimeoutMs }),
        filters: filtersFor(r.policies),
        backend: backends.get(r.backend)!.handler,
      })),
    }));
  }
  return { config, listeners, backends };
}

/** Backends of `previous` that `next` no longer uses. */
export function retiredBackends(previous: BuiltRuntime, next: BuiltRuntime): LiveBackend[] {
  const live = new Set(next.backends.values());
  return [...previous.backends.values()].filter((b) => !live.has(b));
}

function createBackend(spec: BackendSpec, observer: ProxyObserver): PooledHandler {
  switch (spec.kind) {
    case 'http': return new HttpBackend(spec, observer);
    case 'llm': return new LlmBackend(spec, observer);
  }
}

function createFilter(p: PolicySpec): Filter {
  switch (p.kind) {
    case 'cors': return corsFilter(p.name, p.cors);
  }
}
