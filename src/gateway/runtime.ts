// Builds what requests run on from a compiled config: for every listener its routes with
// their filter chains and backend handlers. Backend handlers own connection pools, so a
// reload reuses the handler of a backend whose spec did not change and retires the rest
// once their in-flight requests are done.
import type { BackendSpec, PolicySpec, RuntimeConfig } from '../config/index.js';
import { corsFilter, HttpBackend, orderFilters, type BackendHandler, type Filter, type ListenerRuntime, type ProxyObserver } from '../core/index.js';

export interface BuiltRuntime {
  readonly config: RuntimeConfig;
  readonly listeners: ReadonlyMap<string, ListenerRuntime>;
  readonly backends: ReadonlyMap<string, LiveBackend>;
}

export interface LiveBackend {
  readonly key: string;
  readonly handler: BackendHandler & { close(): Promise<void>; destroy(): Promise<void> };
}

export function buildRuntime(config: RuntimeConfig, previous: BuiltRuntime | null, observer: ProxyObserver): BuiltRuntime {
  const backends = new Map<string, LiveBackend>();
  for (const [name, spec] of config.backends) {
    const old = previous?.backends.get(name);
    backends.set(name, old && old.key === spec.key ? old : { key: spec.key, handler: createBackend(spec, observer) });
  }
  const filtersFor = (names: readonly string[]): readonly Filter[] =>
    orderFilters(names.map((n) => createFilter(config.policies.get(n)!)));
  const listeners = new Map<string, ListenerRuntime>();
  for (const l of config.listeners) {
    listeners.set(l.name, Object.freeze({
      spec: l,
      routes: l.routes.map((r) => Object.freeze({ spec: r, filters: filtersFor(r.policies), backend: backends.get(r.backend)!.handler })),
    }));
  }
  return { config, listeners, backends };
}

/** Backends of `previous` that `next` no longer uses. */
export function retiredBackends(previous: BuiltRuntime, next: BuiltRuntime): LiveBackend[] {
  const live = new Set([...next.backends.values()].map((b) => b.handler));
  return [...previous.backends.values()].filter((b) => !live.has(b.handler));
}

function createBackend(spec: BackendSpec, observer: ProxyObserver): LiveBackend['handler'] {
  switch (spec.kind) {
    case 'http': return new HttpBackend(spec, observer);
  }
}

function createFilter(p: PolicySpec): Filter {
  switch (p.kind) {
    case 'cors': return corsFilter(p.name, p.cors);
  }
}
