// A backend kind as the gateway sees it: its config part (config/kind.ts: schema fragment,
// compiler, checks) plus the factory of the handler that serves its routes. A kind is a
// folder (src/http, src/llm, …) that exports one of these; gateway/kinds.ts lists them,
// and that list is the only place a kind is registered.
import type { BackendKindConfig, BackendSpec } from '../config/index.js';
import type { RequestObserver } from './observer.js';
import type { BackendHandler } from './pipeline.js';
import type { UpstreamStack } from './upstream.js';

/** What a handler is built with. */
export interface BackendDeps {
  readonly observer: RequestObserver;
  /** The serving config's secret values: a live view, since a handler outlives the config it was built for. */
  readonly secrets: () => readonly string[];
  /** The one upstream stack every upstream call goes through (upstream.ts). */
  readonly upstreams: UpstreamStack;
}

/** A backend handler that owns upstream resources (pools, sessions) and releases them. */
export interface PooledHandler extends BackendHandler {
  /** Closes gracefully: what is in flight finishes. */
  close(): Promise<void>;
  /** Closes now, cutting whatever is still running. */
  destroy(): Promise<void>;
  /**
   * Read-only views the admin API serves under GET /<path> (e.g. `mcp/servers`): the
   * backend's live state, never a secret or an upstream credential. Optional.
   */
  adminView?(path: string): object | null;
}

export interface BackendKind<Raw = unknown, Spec extends BackendSpec = BackendSpec> extends BackendKindConfig<Raw, Spec> {
  /**
   * A handler for a compiled spec of this kind (a reload makes a new one only when the spec's
   * key changed). `previous`: the handler the same backend had before the reload, when it was
   * of this kind; a kind may take over what did not change (sessions, connections), and the
   * previous handler is then retired as usual, closing only what it kept.
   */
  create(spec: Spec, deps: BackendDeps, previous?: PooledHandler): PooledHandler;
}
