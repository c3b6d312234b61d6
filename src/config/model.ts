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
  /** Listener policies first, then the route's own, then its backend's, without repeats. */
  readonly policies: readonly string[];
  readonly stripPrefix: boolean;
  readonly maxBodyBytes: number;
  readonly maxJsonDepth: number;
}

export interface HttpBackendSpec extends BackendSpec {
  readonly kind: 'http';
  readonly name: string;
  readonly origin: string;
  /** The url's path without a trailing slash ("" for none). */
  readonly basePath: string;
  readonly host: string;
  readonly preserveHost: boolean;
  /** Forward the credential the caller authenticated with at the gateway (withheld by default). */
  readonly passthrough: boolean;
  /** Most requests in flight (= open connections); more wait in the queue. */
  readonly connections: number;
  /** Most requests waiting for a connection; 0 refuses at once over the cap. */
  readonly queueSize: number;
  /** Longest wait for a connection; 0: no limit. */
  readonly queueTimeoutMs: number;
  readonly connectTimeoutMs: number;
  readonly responseTimeoutMs: number;
  readonly idleTimeoutMs: number;
  readonly retries: number;
  /** Equal keys mean the live connection pool can be reused across a reload. */
  readonly key: string;
}

export type LlmProvider = 'openai' | 'openai-compatible' | 'azure' | 'anthropic' | 'gemini' | 'vertex' | 'bedrock';

export interface LlmModelSpec {
  /** What clients send in "model". */
  readonly name: string;
  readonly provider: LlmProvider;
  /** What is sent upstream in "model". */
  readonly upstreamModel: string;
  /** Origin of baseUrl, e.g. https://api.openai.com. */
  readonly origin: string;
  /** Path of baseUrl without a trailing slash, e.g. /v1. */
  readonly basePath: string;
  readonly host: string;
  readonly apiKey: Secret | null;
  readonly headers: Readonly<Record<string, string>>;
  readonly timeoutMs: number;
  /** Forward the client's own credential headers (the apiKey only when the client sent none). */
  readonly passthrough: boolean;
  /** Further attempts after a retryable failure (connect error, 5xx, 429) before anything reached the client. */
  readonly retries: number;
  readonly retryBackoffMs: number;
  readonly maxRetryWaitMs: number;
  /** Price override in USD per million tokens; null: the bundled price table. */
  readonly price: LlmPriceSpec | null;
  /** The backend's limits on upstream answers (one object shared by its models). */
  readonly limits: LlmLimitsSpec;
  /** The model's concurrency cap (`connections` and `queue`); absent: no cap. */
  readonly cap?: ModelCapSpec;
  /** azure only: the deployment in the URL and the api-version. */
  readonly azure?: { readonly deployment: string; readonly apiVersion: string };
  /** vertex only: where the model lives and the credentials its access token comes from. */
  readonly vertex?: VertexModelSpec;
  /** bedrock only: the region and the credentials requests are signed with (from config or the env at load). */
  readonly aws?: AwsModelSpec;
}

export interface LlmLimitsSpec {
  /** Largest SSE event held while it is unfinished; past it the stream fails. */
  readonly maxEventBytes: number;
  /** Largest JSON answer read whole to translate it. */
  readonly maxResponseBytes: number;
}

export interface ModelCapSpec {
  /** Most calls in flight. */
  readonly connections: number;
  /** Most calls waiting for a slot; 0 refuses at once over the cap. */
  readonly queueSize: number;
  /** Longest wait for a slot; 0: no limit. */
  readonly queueTimeoutMs: number;
}

export interface LlmPriceSpec {
  /** USD per million tokens. */
  readonly input: number;
  readonly output: number;
  readonly cacheRead: number;
  readonly cacheWrite: number;
}

export interface VertexModelSpec {
  readonly project: string;
  readonly location: string;
  /** Who publishes the model on Vertex: google (Gemini, generateContent) or anthropic (Claude, rawPredict). */
  readonly publisher: 'google' | 'anthropic';
  readonly credentials: GoogleCredentials;
}

/** A Google credentials file, parsed at load (the access token is fetched at run time). */
export type GoogleCredentials =
  | { readonly type: 'service_account'; readonly clientEmail: string; readonly privateKey: Secret; readonly privateKeyId: string | null; readonly tokenUri: string }
  | { readonly type: 'authorized_user'; readonly clientId: string; readonly clientSecret: Secret; readonly refreshToken: Secret; readonly tokenUri: string };

/** A virtual model: calls go to its targets (concrete models of the same backend). */
export interface VirtualModelSpec {
  readonly name: string;
  readonly strategy: 'failover' | 'loadBalance';
  /** In order for failover; weights for loadBalance (1 for failover). */
  readonly targets: readonly { readonly model: string; readonly weight: number }[];
}

export interface AwsModelSpec {
  readonly region: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: Secret;
  readonly sessionToken: Secret | null;
}

export interface LlmBackendSpec extends BackendSpec {
  readonly kind: 'llm';
  readonly name: string;
  /** The concrete models. */
  readonly models: readonly LlmModelSpec[];
  readonly virtualModels: readonly VirtualModelSpec[];
  /** Consecutive failures that take a model out of virtual models' rotation, and for how long. */
  readonly cooldown: { readonly failures: number; readonly durationMs: number };
  readonly limits: LlmLimitsSpec;
  /** Equal keys mean the live handler can be reused across a reload (keys are hashed in). */
  readonly key: string;
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
