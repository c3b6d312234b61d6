// A backend kind as the gateway sees it: its config part (config/kind.ts: schema fragment,
// compiler, checks) plus the factory of the handler that serves its routes. A kind is a
// folder (src/http, src/llm, …) that exports one of these; gateway/kinds.ts lists them,
// and that list is the only place a kind is registered.
import type { BackendKindConfig, BackendSpec } from '../config/index.js';
import type { GatewayError } from './errors.js';
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
  /** Where a backend keeps the fingerprints of definitions it pinned (the state store implements it). */
  readonly pins: PinStore;
  /**
   * Short-lived values every replica of the gateway sees (Redis with the Redis + Postgres
   * state store); null or absent when the state is one process's own (SQLite).
   */
  readonly shared?: SharedKv | null;
}

/**
 * A key-value store shared by the replicas, for state that must outlive one process but not
 * a TTL (a client session another replica may continue). Keys are the caller's to namespace.
 */
export interface SharedKv {
  get(key: string): Promise<string | null>;
  /** Stores `value` for `ttlMs`. */
  set(key: string, value: string, ttlMs: number): Promise<void>;
  /**
   * Restarts the TTL of a key that still exists and returns its value (as another replica
   * may have written it); null when it is gone (expired or deleted), which it stays.
   */
  touch(key: string, ttlMs: number): Promise<string | null>;
  delete(key: string): Promise<void>;
}

/**
 * The fingerprint a backend pinned for one definition it serves (an MCP server's tool):
 * trust on first use, replaced only by an approval.
 */
export interface DefinitionPin {
  readonly backend: string;
  /** Where the definition comes from within the backend (an MCP server's name). */
  readonly source: string;
  readonly name: string;
  /** Lower-case hex SHA-256 of the definition's canonical JSON. */
  readonly fingerprint: string;
  /** The canonical JSON itself, so an approver can compare. */
  readonly definition: string;
  /** Epoch milliseconds: first seen, or approved. */
  readonly pinnedAt: number;
}

/** Persisted pins, exact across replicas (SQLite and Postgres). */
export interface PinStore {
  /** Every pin of a backend. */
  listPins(backend: string): DefinitionPin[] | Promise<DefinitionPin[]>;
  /**
   * Pins `pin` when nothing is pinned under its backend, source and name yet; answers the pin
   * that holds: this one, or the one already there (another replica may have been first).
   */
  pinFirst(pin: DefinitionPin): DefinitionPin | Promise<DefinitionPin>;
  /** Replaces (or creates) the pin under its backend, source and name: an approval. */
  repin(pin: DefinitionPin): void | Promise<void>;
}

/** What an admin action answers: a status and a JSON body, or a refusal in the gateway's error shape. */
export type AdminActionAnswer = { readonly status: number; readonly body: unknown } | GatewayError;

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
  adminView?(path: string): object | Promise<object> | null;
  /**
   * Admin requests that change the backend's state, served under `/backends/<name>/<path>`
   * (e.g. `POST …/mcp/pins/approve`), after the admin token check; `body` is the request's
   * parsed JSON (undefined without one). Null when the backend serves nothing there. Optional.
   */
  adminAction?(method: string, path: string, body: unknown): Promise<AdminActionAnswer> | null;
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
