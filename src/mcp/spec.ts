// The mcp kind's runtime model: what `backends.<name>.mcp` compiles to (config-compile.ts)
// and the federation serves from, and its defaults as written in a config file.
// Registered with config's BackendSpecs in kind.ts.
import type { BackendSpec } from '../config/index.js';

/** Defaults of `backends.<name>.mcp`, as written in a config file. */
export const MCP_DEFAULTS = Object.freeze({
  connectTimeout: '10s',
  callTimeout: '60s',
  idleTimeout: '10m',
  sessionTtl: '30m',
  maxSessions: 10000,
  restartBackoff: '1s',
  maxRestartBackoff: '30s',
} as const);

/** Which tools of a server are federated, whatever the caller (authorization is separate). */
export interface McpToolFilterSpec {
  /** Names (as the server gives them) or `*` globs; empty: every tool. */
  readonly include: readonly string[];
  readonly exclude: readonly string[];
}

interface McpServerCommon {
  /** ^[a-z0-9][a-z0-9-]*$ (DESIGN.md) plus `_`; the namespace prefix `<name>__`. */
  readonly name: string;
  readonly tools: McpToolFilterSpec;
  /** Time to connect and initialize; slower → the server is marked failed for this attempt. */
  readonly connectTimeoutMs: number;
  /** Time a request to the server may take before the caller gets an error. */
  readonly callTimeoutMs: number;
  /** Tool pinning (pinning.ts): a tool whose definition changed since first seen is withheld until approved. */
  readonly pin: boolean;
  /** Tool definitions approved in config: fingerprints (lower-case hex SHA-256, pinning.ts). */
  readonly approved: readonly string[];
}

export interface McpStdioServerSpec extends McpServerCommon {
  readonly transport: 'stdio';
  readonly command: string;
  readonly args: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  /** Absolute (resolved against the config's folder). */
  readonly cwd: string;
  /** An idle process is stopped after this long without a call; 0: never. */
  readonly idleTimeoutMs: number;
  readonly restartBackoffMs: number;
  readonly maxRestartBackoffMs: number;
}

export interface McpHttpServerSpec extends McpServerCommon {
  /** 'streamable-http' (the current transport) or 'sse' (the legacy HTTP+SSE one). */
  readonly transport: 'streamable-http' | 'sse';
  readonly url: string;
  /** Static headers sent with every request (`bearer` becomes Authorization); values are registered secrets. */
  readonly headers: Readonly<Record<string, string>>;
}

export type McpServerSpec = McpStdioServerSpec | McpHttpServerSpec;

export interface McpBackendSpec extends BackendSpec {
  readonly kind: 'mcp';
  readonly name: string;
  readonly servers: readonly McpServerSpec[];
  /** 'search': the lean tool list (toolset.ts). */
  readonly toolset: 'all' | 'search';
  /** false: one server, its names unprefixed (names.ts unprefixed). */
  readonly namespace: boolean;
  /** Host names allowed besides the loopback ones; null: any on a non-loopback listener. */
  readonly allowedHosts: readonly string[] | null;
  /** An idle client session is forgotten after this long. */
  readonly sessionTtlMs: number;
  readonly maxSessions: number;
  /** Identity of the spec (reload keeps the handler when unchanged). */
  readonly key: string;
}
