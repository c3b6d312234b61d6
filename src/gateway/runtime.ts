// Builds what requests run on from a compiled config: for every listener its routes with
// their filter chains and backend handlers. Backend handlers own connection pools, so a
// reload reuses the handler of a backend whose spec did not change, and retires the rest:
// a retired pool closes only once the last request that chose it is done, so a request
// routed just before a reload never meets a closed pool.
import type { Duplex } from 'node:stream';
import type { BackendSpec, RouteSpec, RuntimeConfig } from '../config/index.js';
import { BARE_STACK, orderFilters, type AdminActionAnswer, type BackendDeps, type UpstreamStack, type BackendHandler, type BodyLimits, type ListenerRuntime, type PooledHandler, type RequestObserver, type RequestContext } from '../core/index.js';
import { PolicySet, type PolicyDeps } from '../policy/runtime.js';
import { kindOf } from './kinds.js';

export interface BuiltRuntime {
  readonly config: RuntimeConfig;
  /** The compiled policies (closed when this runtime is replaced). */
  readonly policies: PolicySet;
  readonly listeners: ReadonlyMap<string, ListenerRuntime>;
  readonly backends: ReadonlyMap<string, LiveBackend>;
}

/**
 * A backend handler that counts the requests using it. Routes call `handler`.
 * Requests are counted from handle(): filters are synchronous today, so a request reaches
 * its handler in the tick it was routed in and no reload can retire the backend in between.
 */
export class LiveBackend {
  readonly key: string;
  readonly handler: BackendHandler;
  readonly #inner: PooledHandler;
  /** The handler itself (a reload hands it to its successor's create). */
  get inner(): PooledHandler { return this.#inner; }
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
    this.handler = {
      kind: inner.kind,
      handle,
      ...(inner.protocol !== undefined && { protocol: inner.protocol }),
      ...(inner.upgrade !== undefined && { upgrade }),
      ...(inner.renderer !== undefined && { renderer: inner.renderer.bind(inner) }),
      ...(inner.resourceMetadata !== undefined && { resourceMetadata: inner.resourceMetadata.bind(inner) }),
    };
  }

  get active(): number { return this.#active; }

  /** The handler's admin view at `path` (PooledHandler.adminView), or null. */
  adminView(path: string): object | Promise<object> | null { return this.#inner.adminView?.(path) ?? null; }

  /** The handler's admin action at `path` (PooledHandler.adminAction), or null. */
  adminAction(method: string, path: string, body: unknown): Promise<AdminActionAnswer> | null {
    return this.#inner.adminAction?.(method, path, body) ?? null;
  }

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

/**
 * Builds the runtime of a config. Throws when a policy cannot be built (a JWKS file gone
 * since validation); the caller then keeps the previous runtime. Backends are created last,
 * so a failure leaves no pool open. `secrets` gives the serving config's secret values
 * when asked (backends kept across reloads must see the new ones). `upstreams`: the stack
 * every new backend's upstream calls pass (core/upstream.ts).
 */
export function buildRuntime(
  config: RuntimeConfig, previous: BuiltRuntime | null, observer: RequestObserver, deps: PolicyDeps,
  secrets: () => readonly string[] = () => config.secrets, upstreams: UpstreamStack = BARE_STACK,
): BuiltRuntime {
  const policies = new PolicySet(config, deps);
  const backends = new Map<string, LiveBackend>();
  for (const [name, spec] of config.backends) {
    const old = previous?.backends.get(name);
    backends.set(name, old && old.key === spec.key ? old : new LiveBackend(spec.key, createBackend(spec, { observer, secrets, upstreams, pins: deps.state, shared: deps.state.shared }, old?.inner)));
  }
  const listeners = new Map<string, ListenerRuntime>();
  for (const l of config.listeners) {
    listeners.set(l.name, Object.freeze({
      spec: l,
      routes: l.routes.map((r) => {
        const backend = backends.get(r.backend)!.handler;
        const { filters, gate, resource } = policies.forRoute(r.policies, backend.protocol ?? null, backend.resourceMetadata === undefined ? null : r);
        return Object.freeze({
          spec: r,
          limits: Object.freeze({ maxBodyBytes: r.maxBodyBytes, bodyIdleTimeoutMs: l.limits.bodyIdleTimeoutMs, maxJsonDepth: r.maxJsonDepth }),
          filters: orderFilters(filters),
          gate,
          backend,
          resource,
        });
      }),
    }));
  }
  return { config, policies, listeners, backends };
}

/** Backends of `previous` that `next` no longer uses. */
export function retiredBackends(previous: BuiltRuntime, next: BuiltRuntime): LiveBackend[] {
  const live = new Set(next.backends.values());
  return [...previous.backends.values()].filter((b) => !live.has(b));
}

/** `deps.secrets`: the serving config's secret values (a live view: a backend outlives the config it was built for). */
function createBackend(spec: BackendSpec, deps: BackendDeps, previous: PooledHandler | undefined): PooledHandler {
  // A handler of another kind has nothing the new one could take over.
  const same = previous !== undefined && previous.kind === spec.kind ? previous : undefined;
  return kindOf(spec).create(spec, deps, same);
}
