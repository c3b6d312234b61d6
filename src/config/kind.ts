// The config side of a backend kind (http, llm; mcp and a2a next): what config needs to
// validate and compile `backends.<name>.<key>` without knowing any kind by name. A kind
// lives in its own folder and registers there its schema fragment, its compiler and its
// checks; the composition root (gateway/kinds.ts) hands the list to config's functions,
// together with the policy checks config cannot import (CEL lives in policy/).
// Trade-off: config's functions take this as a parameter instead of importing the kinds,
// so config stays data that every other folder may import.
import type { TSchema } from '@sinclair/typebox';
import type { DurationValue } from './schema.js';
import type { BackendSpec, PolicySpec, RouteSpec } from './model.js';

export type Segment = string | number;
export type Env = Readonly<Record<string, string | undefined>>;

/** A problem found by a check: the YAML path it is about and what is wrong. */
export interface PathIssue { readonly path: readonly Segment[]; readonly message: string }

/** What compile.ts lends a kind's compiler (plain functions: safe to destructure). */
export interface CompileHelpers {
  /** Reports a problem at a YAML path; the load fails with every problem reported. */
  readonly at: (path: readonly Segment[], message: string) => void;
  /** A duration in ms (`fallback` when unset), reporting one that Node's timers cannot hold. */
  readonly ms: (path: readonly Segment[], value: DurationValue | undefined, fallback: number) => number;
  /** A secret value: redacted in logs, admin output and config errors. */
  readonly secret: (value: string) => void;
  /** The environment the file was loaded with (credentials a kind reads at load). */
  readonly env: Env;
  /** The folder relative paths in the config are resolved against. */
  readonly baseDir: string;
  /** Reads a small regular file, or reports why not through `fail` and gives null. */
  readonly readSmallFile: (abs: string, max: number, fail: (why: string) => void) => Buffer | null;
}

/** Where a compiled backend is used, for a kind's load warnings. */
export interface BackendUse {
  readonly route: RouteSpec;
  /** The route's policies, compiled, in order. */
  readonly policies: readonly PolicySpec[];
}

/**
 * The config part of a backend kind. `Raw` is what its schema fragment validates, `Spec`
 * what it compiles to (frozen by compile.ts). Methods, not function properties: a
 * `BackendKindConfig<LlmBackendConfig, LlmBackendSpec>` then fits a list of kinds.
 */
export interface BackendKindConfig<Raw = unknown, Spec extends BackendSpec = BackendSpec> {
  /** The key under `backends.<name>` that selects this kind; also its spec's `kind`. */
  readonly key: string;
  /** The schema of `backends.<name>.<key>`, documentation included. */
  readonly schema: TSchema;
  /** Compiles a validated fragment into the runtime spec; problems go to `h.at`. */
  compile(raw: Raw, name: string, h: CompileHelpers): Spec;
  /** Checks the schema cannot express (references, combinations), with paths under `path`. */
  semanticIssues?(raw: Raw, path: readonly Segment[]): PathIssue[];
  /** What a valid config allows here but probably does not mean; said at load, never fatal. */
  warnings?(spec: Spec, use: BackendUse): string[];
}

/** Config's view of CEL (policy/cel-check.ts): whether an expression compiles, and why not. */
export interface PolicyChecks {
  /** Problems of an authorize policy's rules, each at its path under `path`. */
  authorizeProblems(allow: readonly string[], deny: readonly string[], path: readonly Segment[]): readonly PathIssue[];
  /**
   * The problem of a key expression (rateLimit.key, budget.key), or null. `metered`: the key
   * also counts tokens or USD (a tokens limit, a budget), which only some protocols' calls carry.
   */
  keyExpressionProblem(source: string, metered: boolean): string | null;
}

/** Everything config is given by the composition root. */
export interface ConfigExtensions {
  /** The registered backend kinds, in the order the schema and docs list them. */
  readonly backendKinds: readonly BackendKindConfig[];
  readonly policyChecks: PolicyChecks;
}
