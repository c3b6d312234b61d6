// The runtime model: what the gateway serves from. Everything here is normalised
// (durations in ms, sizes in bytes, paths absolute, regexes compiled) and frozen, so a
// request only reads it and a reload swaps it whole.
import type { TSchema } from '@sinclair/typebox';
import type { Secret } from './secret.js';
import type { Config } from './schema.js';

export interface RuntimeConfig {
  readonly file: string;
  readonly baseDir: string;
  readonly text: string;
  /** The validated file with ${VAR} already substituted. Use redactedConfig() to show it. */
  readonly source: Config;
  readonly gateway: GatewaySpec;
  readonly listeners: readonly ListenerSpec[];
  readonly backends: ReadonlyMap<string, RegisteredBackendSpec>;
  readonly policies: ReadonlyMap<string, PolicySpec>;
  /** Every secret value in the file, for redaction of logs and admin output. */
  readonly secrets: readonly string[];
  /** The schema the file was validated against (it depends on the backend kinds): redact.ts reads its `x-secret` marks. */
  readonly schema: TSchema;
}

/**
 * The spec types of the registered kinds, by key. A kind adds its own by augmenting this
 * interface (`declare module '../config/model.js' { interface BackendSpecs { llm: LlmBackendSpec } }`),
 * so a spec narrows on `kind` without config naming any kind.
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface BackendSpecs {}

/** A compiled backend of any registered kind (just BackendSpec while none is registered). */
export type RegisteredBackendSpec = [keyof BackendSpecs] extends [never] ? BackendSpec : BackendSpecs[keyof BackendSpecs];

/**
 * What every backend kind's compiled spec has. A kind's own spec (HttpBackendSpec,
 * LlmBackendSpec) adds its fields; code that needs them gets the spec from its kind.
 */
export interface BackendSpec {
  /** The key the kind is registered under (kind.ts). */
  readonly kind: string;
  readonly name: string;
  /** Equal keys mean the live handler can be reused across a reload. */
  readonly key: string;
}

export interface GatewaySpec {
  readonly admin: { readonly host: string; readonly port: number; readonly token: Secret | null } | null;
  readonly accessLog: 'json' | 'text' | 'off';
  readonly drainTimeoutMs: number;
  readonly watch: boolean;
  readonly state: StateSpec;
}

export interface ListenerLimits {
  readonly maxHeaderBytes: number;
  readonly maxHeaderCount: number;
  readonly maxBodyBytes: number;
  readonly maxJsonDepth: number;
  readonly headersTimeoutMs: number;
  readonly requestTimeoutMs: number;
  readonly bodyIdleTimeoutMs: number;
  readonly keepAliveTimeoutMs: number;
  readonly idleTimeoutMs: number;
}

export interface ListenerSpec {
  readonly name: string;
  readonly host: string;
  readonly port: number;
  readonly tls: { readonly cert: Buffer; readonly key: Buffer } | null;
  readonly limits: ListenerLimits;
  readonly routes: readonly RouteSpec[];
  /** Identity of everything that needs a new server socket when it changes. */
  readonly bindKey: string;
}

export type HeaderCondition =
  | { readonly name: string; readonly kind: 'exact'; readonly value: string }
  | { readonly name: string; readonly kind: 'regex'; readonly regex: RegExp }
  | { readonly name: string; readonly kind: 'present'; readonly present: boolean };

export interface HostPattern { readonly exact?: string; readonly suffix?: string }

export interface RouteSpec {
  readonly name: string;
  readonly listener: string;
  /** Normalised prefix without a trailing slash ("" for "/"), or null for any path. */
  readonly pathPrefix: string | null;
  readonly hosts: readonly HostPattern[] | null;
  readonly methods: ReadonlySet<string> | null;
  readonly headers: readonly HeaderCondition[] | null;
  readonly backend: string;
  /** The listener's publicUrl as an origin (`https://gateway.example.com`, default port dropped), or null. */
  readonly publicOrigin: string | null;
  /** Listener policies first, then the route's own, then its backend's, without repeats. */
  readonly policies: readonly string[];
  readonly stripPrefix: boolean;
  readonly maxBodyBytes: number;
  readonly maxJsonDepth: number;
}

export interface CorsSpec {
  readonly origins: readonly { readonly exact?: string; readonly any?: true; readonly suffix?: string; readonly scheme?: string }[];
  readonly allowMethods: string;
  readonly allowHeaders: string | null;
  readonly exposeHeaders: string | null;
  readonly allowCredentials: boolean;
  readonly maxAgeSeconds: number | null;
}

export interface ApiKeySpec {
  readonly keys: readonly { readonly name: string; readonly key: Secret; readonly metadata: Readonly<Record<string, string>> }[];
  /** Also accept keys created at runtime (in the state store). */
  readonly stored: boolean;
}

export interface JwtSpec {
  readonly issuer: string;
  readonly audiences: readonly string[];
  /** Scopes a token must carry (all); empty: none. */
  readonly scopes: readonly string[];
  /** A URL to fetch, or the keys themselves (inline, or read from jwksFile at load). */
  readonly jwks: { readonly url: string } | { readonly inline: { readonly keys: readonly Record<string, unknown>[] } };
  readonly algorithms: readonly string[];
  readonly clockSkewSeconds: number;
  readonly cacheMaxAgeMs: number;
  readonly cooldownMs: number;
  readonly timeoutMs: number;
}

/** CEL sources, compiled at load (so errors name their path); policy/cel.ts keeps the programs for the runtime. */
export interface AuthorizeSpec {
  readonly allow: readonly string[];
  readonly deny: readonly string[];
}

export interface RateSpec {
  readonly limit: number;
  readonly windowMs: number;
  /** As written: "600/minute". */
  readonly text: string;
}

export interface RateLimitSpec {
  /** CEL; null: the caller. */
  readonly key: string | null;
  readonly requests: RateSpec | null;
  readonly tokens: RateSpec | null;
}

export interface BudgetSpec {
  /** CEL; null: the caller. */
  readonly key: string | null;
  readonly usd: number;
  readonly period: 'day' | 'week' | 'month' | 'total';
  readonly reserveOutputTokens: number;
}

export type PolicySpec =
  | { readonly kind: 'cors'; readonly name: string; readonly cors: CorsSpec }
  | { readonly kind: 'apiKey'; readonly name: string; readonly apiKey: ApiKeySpec }
  | { readonly kind: 'jwt'; readonly name: string; readonly jwt: JwtSpec }
  | { readonly kind: 'authorize'; readonly name: string; readonly authorize: AuthorizeSpec }
  | { readonly kind: 'rateLimit'; readonly name: string; readonly rateLimit: RateLimitSpec }
  | { readonly kind: 'budget'; readonly name: string; readonly budget: BudgetSpec };

export type StateSpec =
  /** `lazy`: the default store (the config names none), opened when first used. */
  | { readonly kind: 'sqlite'; readonly path: string; readonly lazy: boolean }
  | { readonly kind: 'redis+postgres'; readonly redisUrl: Secret; readonly postgresUrl: Secret; readonly prefix: string; readonly leases: boolean };
