// The one source of the config file's shape; each backend kind adds its part under
// `backends.<name>` (kind.ts). The JSON Schema in schema/agentedge.schema.json and the key
// reference in docs/config.md are generated from it (npm run schema), and a test fails
// when they drift. Every object is closed (additionalProperties: false) so a
// typo is an error, not a no-op. Descriptions and `default`s here are the documentation;
// compile.ts applies the same DEFAULTS, so what the docs promise is what runs.
// Custom annotations: `x-secret` marks values the admin API redacts; `x-expected` is the
// phrase an error message uses for a value ("must be <x-expected>"), `x-key` the same for
// the keys of a map.
import { Type, type Static, type TSchema, type TUnsafe, type ObjectOptions, type SchemaOptions, type TProperties } from '@sinclair/typebox';
import type { BackendKindConfig } from './kind.js';
import { DEFAULT_MAX_JSON_DEPTH, MAX_JSON_DEPTH_LIMIT } from './json-depth.js';

const Closed = <T extends TProperties>(props: T, opts: ObjectOptions = {}) =>
  Type.Object(props, { additionalProperties: false, ...opts });

/** Defaults, as written in a config file. compile.ts converts and applies them (a backend kind keeps its own, e.g. llm/spec.ts). */
export const DEFAULTS = Object.freeze({
  adminHost: '127.0.0.1',
  adminPort: 15000,
  accessLogFormat: 'json',
  drainTimeout: '30s',
  watch: true,
  listenerHost: '127.0.0.1',
  maxHeaderBytes: 16384,
  maxHeaderCount: 100,
  maxBodyBytes: '16mb',
  maxJsonDepth: DEFAULT_MAX_JSON_DEPTH,
  headersTimeout: '10s',
  requestTimeout: '300s',
  bodyIdleTimeout: '30s',
  keepAliveTimeout: '5s',
  idleTimeout: '300s',
  stripPrefix: false,
  preserveHost: false,
  httpPassthrough: false,
  connections: 128,
  queueSize: 1024,
  queueTimeout: '5s',
  connectTimeout: '10s',
  responseTimeout: '60s',
  upstreamIdleTimeout: '300s',
  retries: 1,
  corsMethods: Object.freeze(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']),
  allowCredentials: false,
  apiKeyStored: true,
  jwtAlgorithms: Object.freeze(['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA']),
  jwtClockSkew: '30s',
  jwksCacheMaxAge: '10m',
  jwksCooldown: '30s',
  jwksTimeout: '5s',
  budgetReserveOutputTokens: 1024,
  sqlitePath: './data/agentedge.db',
  redisPrefix: 'agentedge:',
} as const);

const DURATION_PATTERN = '^[0-9]+(\\.[0-9]+)?(ms|s|m|h)$';
const SIZE_PATTERN = '^[0-9]+([kKmMgG][iI]?[bB]|[bB])?$';

/** Milliseconds as an integer, or a string such as "500ms", "30s", "5m", "1h". */
const duration = (description: string, opts: SchemaOptions = {}) => Type.Union([
  Type.Integer({ minimum: 0 }),
  Type.String({ pattern: DURATION_PATTERN }),
], { title: 'duration', 'x-expected': 'a duration: milliseconds as a number, or a string like "500ms", "30s", "5m", "1h"', description, ...opts });

/** Bytes as an integer, or a string such as "64kb", "16mb" (powers of 1024). */
const byteSize = (description: string, opts: SchemaOptions = {}) => Type.Union([
  Type.Integer({ minimum: 0 }),
  Type.String({ pattern: SIZE_PATTERN }),
], { title: 'size', 'x-expected': 'a size: bytes as a number, or a string like "64kb", "16mb", "1gb" (units of 1024)', description, ...opts });

/** A JSON nesting bound: high enough for any real schema, low enough that nothing recursing over it overflows (core/json.ts enforces it). */
const maxJsonDepth = (description: string, opts: SchemaOptions = {}) =>
  Type.Integer({ minimum: 1, maximum: MAX_JSON_DEPTH_LIMIT, description, ...opts });

/** A closed set of strings, emitted as a plain `enum` (clearer errors and editor hints than anyOf/const). */
const StringEnum = <T extends string>(values: readonly T[], opts: SchemaOptions = {}) =>
  Type.Unsafe<T>({ type: 'string', enum: [...values], ...opts });

// The length limit is in the pattern so that it also holds where the name is a map key
// (backends, policies), where only the pattern is checked.
const NAME_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$';
const NAME_EXPECTED = 'a name of 1 to 64 letters, digits, ".", "_" or "-", starting with a letter or digit';
const name = (description: string) => Type.String({ pattern: NAME_PATTERN, 'x-expected': NAME_EXPECTED, description });
const policyRefs = (description: string) => Type.Array(Type.String({ description: 'A policy name.' }), { description });
/** A map from names to T; names that do not fit NAME_PATTERN are rejected. */
const NamedMap = <T extends TSchema>(value: T, description: string) =>
  Type.Record(Type.String({ pattern: NAME_PATTERN }), value, { additionalProperties: false, 'x-key': NAME_EXPECTED, description });

export const ListenerLimits = Closed({
  maxHeaderBytes: Type.Optional(Type.Integer({ minimum: 1024, maximum: 1048576, default: DEFAULTS.maxHeaderBytes, description: 'Largest total size of the request line and headers, in bytes. Larger → 431.' })),
  maxHeaderCount: Type.Optional(Type.Integer({ minimum: 8, maximum: 2000, default: DEFAULTS.maxHeaderCount, description: 'Most request headers. More → 431.' })),
  maxBodyBytes: Type.Optional(byteSize('Largest request body. Larger → 413.', { default: DEFAULTS.maxBodyBytes })),
  maxJsonDepth: Type.Optional(maxJsonDepth('Deepest nesting of arrays and objects in a JSON request body that a protocol handler parses (llm). Deeper → 400, before anything is sent upstream.', { default: DEFAULTS.maxJsonDepth })),
  headersTimeout: Type.Optional(duration('Time allowed to receive the request headers. Slower → 408.', { default: DEFAULTS.headersTimeout })),
  requestTimeout: Type.Optional(duration('Time allowed to receive the whole request. Slower → 408.', { default: DEFAULTS.requestTimeout })),
  bodyIdleTimeout: Type.Optional(duration('Longest pause between two chunks of a request body. Longer → 408.', { default: DEFAULTS.bodyIdleTimeout })),
  keepAliveTimeout: Type.Optional(duration('How long an idle keep-alive connection stays open.', { default: DEFAULTS.keepAliveTimeout })),
  idleTimeout: Type.Optional(duration('Longest time a socket may be inactive, e.g. a client that stops reading a response; then it is closed.', { default: DEFAULTS.idleTimeout })),
}, { description: 'Downstream limits and timeouts for this listener.' });

const HeaderCondition = Type.Union([
  Type.String({ description: 'The exact header value.' }),
  Closed({ regex: Type.String({ description: 'A JavaScript regular expression the header value must match (unanchored; use ^ and $ for a full match).' }) }),
  Closed({ present: Type.Boolean({ description: 'true: the header must be present; false: it must be absent.' }) }),
], { 'x-expected': 'an exact value (a string), { regex: "..." } or { present: true|false }', description: 'One header condition: an exact value, { regex }, or { present }. Header names are case-insensitive.' });

export const RouteMatch = Closed({
  path: Type.Optional(Type.String({ pattern: '^/', 'x-expected': 'a path starting with "/"', description: 'Path prefix, matched on segment boundaries: "/v1" matches "/v1" and "/v1/x", not "/v10". Must be normalised (no "//", "." or ".." segments, no percent-encoding).' })),
  host: Type.Optional(Type.Union([
    Type.String({ description: 'A host name.' }),
    Type.Array(Type.String({ description: 'A host name.' }), { minItems: 1 }),
  ], { 'x-expected': 'a host name or a list of host names', description: 'Host name(s), exact ("api.example.com") or "*.example.com" (any subdomain). Case-insensitive; the port is ignored.' })),
  methods: Type.Optional(Type.Array(Type.String({ pattern: '^[A-Za-z]+$', 'x-expected': 'an HTTP method name such as "GET"', description: 'An HTTP method (any case).' }), { minItems: 1, description: 'HTTP methods, any of which matches.' })),
  headers: Type.Optional(Type.Record(
    Type.String({ pattern: '^[A-Za-z0-9!#$%&\'*+.^_`|~-]+$' }),
    HeaderCondition,
    { additionalProperties: false, 'x-key': 'a header name', description: 'Request headers, by name: all must hold.' },
  )),
}, { description: 'Conditions, all of which must hold. No match (or an empty one) matches every request.' });

export const Route = Closed({
  name: name('Route name, unique within its listener; shown in logs and metrics.'),
  match: Type.Optional(RouteMatch),
  backend: Type.String({ description: 'Name of a backend in `backends:` that receives the matched requests.' }),
  policies: Type.Optional(policyRefs('Policies applied to this route, after the listener\'s own.')),
  stripPrefix: Type.Optional(Type.Boolean({ default: DEFAULTS.stripPrefix, description: 'Remove the matched path prefix before forwarding to an http backend.' })),
  limits: Type.Optional(Closed({
    maxBodyBytes: Type.Optional(byteSize('Largest request body for this route; defaults to the listener\'s limits.maxBodyBytes.')),
    maxJsonDepth: Type.Optional(maxJsonDepth('Deepest JSON nesting for this route; defaults to the listener\'s limits.maxJsonDepth.')),
  }, { description: 'Per-route overrides of listener limits.' })),
}, { description: 'A route: which requests (match) go to which backend, through which policies.' });

export const Tls = Closed({
  cert: Type.String({ description: 'PEM certificate chain file; a relative path is relative to the config file\'s folder.' }),
  key: Type.String({ description: 'PEM private key file (unencrypted), matching cert; a relative path is relative to the config file\'s folder.' }),
}, { description: 'Serve HTTPS. Both files are read and checked (readable, valid PEM, key matches cert) when the config loads.' });

export const Listener = Closed({
  name: name('Listener name, unique; shown in logs and metrics.'),
  host: Type.Optional(Type.String({ default: DEFAULTS.listenerHost, description: 'Address to bind; 0.0.0.0 (or ::) for all interfaces.' })),
  port: Type.Integer({ minimum: 0, maximum: 65535, description: 'TCP port, unique among listeners; 0 picks a free one.' }),
  tls: Type.Optional(Tls),
  publicUrl: Type.Optional(Type.String({
    pattern: '^https?://[A-Za-z0-9.\\-]+(:[0-9]{1,5})?/?$|^https?://\\[[0-9A-Fa-f:.]+\\](:[0-9]{1,5})?/?$',
    'x-expected': 'an origin such as "https://gateway.example.com" (scheme, host, optional port; no path)',
    description: 'The origin clients reach this listener at, when a proxy in front of it terminates TLS or changes the host (https://gateway.example.com). URLs the gateway gives out name it: an MCP route\'s OAuth protected resource and its metadata (RFC 9728). Default: the listener\'s own scheme and the Host the client sent.',
  })),
  policies: Type.Optional(policyRefs('Policies applied to every route of this listener, before the route\'s own.')),
  limits: Type.Optional(ListenerLimits),
  routes: Type.Array(Route, { description: 'Routes in order: the first that matches wins. No match → 404.' }),
}, { description: 'A listener: an address where the gateway accepts downstream traffic.' });

/** The wait queue of a concurrency cap (`connections`): http backends and llm models. */
const UpstreamQueue = Closed({
  size: Type.Optional(Type.Integer({ minimum: 0, maximum: 100000, default: DEFAULTS.queueSize, description: 'Most requests waiting for a free connection when `connections` are all busy; 0 refuses at once over the cap. A request that finds the queue full → 503 AE_UPSTREAM_OVERLOADED with retry-after, nothing sent upstream.' })),
  timeout: Type.Optional(duration('Longest wait in the queue for a free connection; then → 503 AE_UPSTREAM_OVERLOADED with retry-after. 0 waits as long as it takes (the queue size still bounds how many wait). A waiting client that leaves frees its place at once.', { default: DEFAULTS.queueTimeout })),
}, { description: 'Requests over the `connections` cap wait here, first come first served, within a size and a time limit; past either they get a fast 503 with retry-after (metric agentedge_upstream_overloaded_total). Other backends and models are unaffected.' });

/** "a, b or c". */
const orList = (words: readonly string[]) => words.length < 2 ? words.join('') : `${words.slice(0, -1).join(', ')} or ${words[words.length - 1]!}`;

/** A backend: one key per registered kind (in registry order), and its policies. */
const backendSchema = (kinds: readonly BackendKindConfig[]) => Closed({
  ...Object.fromEntries(kinds.map((k) => [k.key, Type.Optional(k.schema)])),
  policies: Type.Optional(policyRefs('Policies applied to every route that uses this backend, after the listener\'s and the route\'s own.')),
}, { minProperties: 1, description: `A backend: exactly one kind (${orList(kinds.map((k) => k.key))}), and optionally its policies.` });

export const CorsPolicy = Closed({
  allowOrigins: Type.Array(Type.String({ description: 'An origin.' }), { minItems: 1, description: 'Allowed origins: exact ("https://app.example.com"), "*", or "https://*.example.com" (any subdomain).' }),
  allowMethods: Type.Optional(Type.Array(Type.String({ description: 'An HTTP method.' }), { default: [...DEFAULTS.corsMethods], description: 'Methods a preflight allows.' })),
  allowHeaders: Type.Optional(Type.Array(Type.String({ description: 'A header name.' }), { description: 'Request headers a preflight allows; when unset, the headers the preflight asks for are allowed.' })),
  exposeHeaders: Type.Optional(Type.Array(Type.String({ description: 'A header name.' }), { description: 'Response headers the browser may read (Access-Control-Expose-Headers); none when unset.' })),
  allowCredentials: Type.Optional(Type.Boolean({ default: DEFAULTS.allowCredentials, description: 'Allow cookies and credentials (Access-Control-Allow-Credentials); with "*" the request\'s own origin is echoed.' })),
  maxAge: Type.Optional(duration('How long a browser may cache a preflight answer (Access-Control-Max-Age); not sent when unset.')),
}, { description: 'CORS: answers preflight requests and adds Access-Control-* headers. A request from an origin not allowed is refused with 403.' });

const RATE_PATTERN = '^[1-9][0-9]{0,11}/(second|minute|hour|day)$';
const rate = (description: string) => Type.String({ pattern: RATE_PATTERN, 'x-expected': 'a rate like "600/minute": a positive whole number, "/", and second, minute, hour or day', description });
const cel = (description: string) => Type.String({ minLength: 1, maxLength: 4096, 'x-expected': 'a CEL expression', description });

export const ApiKeyPolicy = Closed({
  keys: Type.Optional(Type.Array(Closed({
    name: Type.String({ minLength: 1, maxLength: 128, description: 'The key\'s name: the caller\'s identity (CEL apiKey.name), in logs and the usage ledger.' }),
    key: Type.String({ minLength: 16, maxLength: 4096, 'x-secret': true, description: 'The key itself, at least 16 characters; best given as ${VAR}. Only its SHA-256 is kept in memory.' }),
    metadata: Type.Optional(Type.Record(Type.String({ minLength: 1, maxLength: 64 }), Type.String({ maxLength: 1024, description: 'A label value.' }), { description: 'String labels (team, org, tier) for CEL (apiKey.metadata), limits, budgets and usage queries.' })),
  }, { description: 'A key from config.' }), { description: 'Keys from config. Keys created at runtime (admin API, `agentedge keys create`) are accepted too unless `stored` is false.' })),
  stored: Type.Optional(Type.Boolean({ default: DEFAULTS.apiKeyStored, description: 'Also accept keys created at runtime and kept (hashed) in the state store.' })),
}, { description: 'API key authentication: a key in `Authorization: Bearer`, `x-api-key` or `api-key`. A missing or unknown key is refused with 401.' });

export const JwtPolicy = Closed({
  issuer: Type.String({ minLength: 1, description: 'The required `iss` claim.' }),
  audiences: Type.Array(Type.String({ minLength: 1 }), { minItems: 1, description: 'Accepted `aud` values; a token must name at least one.' }),
  scopes: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 200, pattern: '^[\\x21\\x23-\\x5B\\x5D-\\x7E]+$' }), { description: 'Scopes a token must carry, all of them (its `scope` claim, space-separated, or `scp`). A valid token without them is refused with 403 `insufficient_scope`; the 401 challenge and a protected resource\'s metadata (`scopes_supported`) name them.' })),
  jwksUrl: Type.Optional(Type.String({ minLength: 1, description: 'Where the signing keys are (a JWKS document), fetched when needed, cached, and fetched again for a key id it does not know (at most once per `jwksCooldown`).' })),
  jwksFile: Type.Optional(Type.String({ minLength: 1, description: 'A JWKS document in a file (relative to the config file), read at load.' })),
  jwks: Type.Optional(Closed({
    keys: Type.Array(Type.Record(Type.String(), Type.Unknown({ description: 'A JWK member (kty, kid, n, e, x, y, crv, alg, use).' }), { description: 'A public JWK.' }), { minItems: 1, description: 'Public JWKs.' }),
  }, { description: 'A JWKS document inline.' })),
  algorithms: Type.Optional(Type.Array(StringEnum(['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'] as const), { minItems: 1, default: [...DEFAULTS.jwtAlgorithms], description: 'Signature algorithms accepted (asymmetric only: `none` and HMAC never are).' })),
  clockSkew: Type.Optional(duration('Tolerance for `exp` and `nbf`.', { default: DEFAULTS.jwtClockSkew })),
  jwksCacheMaxAge: Type.Optional(duration('How long fetched keys are used before they are fetched again.', { default: DEFAULTS.jwksCacheMaxAge })),
  jwksCooldown: Type.Optional(duration('Least time between two fetches caused by unknown key ids.', { default: DEFAULTS.jwksCooldown })),
  jwksTimeout: Type.Optional(duration('Timeout of a JWKS fetch.', { default: DEFAULTS.jwksTimeout })),
}, { description: 'JWT authentication: a bearer token signed by a key of the issuer\'s JWKS, with the required issuer and an accepted audience and a `sub`. Exactly one of jwksUrl, jwksFile and jwks.' });

export const AuthorizePolicy = Closed({
  allow: Type.Optional(Type.Array(cel('A rule that allows the request when true.'), { description: 'With allow rules, at least one must be true.' })),
  deny: Type.Optional(Type.Array(cel('A rule that refuses the request when true.'), { description: 'Any true deny rule refuses the request, whatever the allow rules say.' })),
}, { description: 'CEL authorization. A rule runs at the first point where the variables it reads exist (request; model for llm.*; tool for mcp.*; agent for a2a.*). An evaluation error refuses (fail closed). Refused → 403.' });

export const RateLimitPolicy = Closed({
  key: Type.Optional(cel('What the limit counts per, e.g. apiKey.name or apiKey.metadata.team. Default: the caller (its identity, or its address when anonymous). A key that reads a protocol variable (e.g. `apiKey.name + "/" + mcp.tool.name`, `llm.model`) makes `requests` count that protocol\'s calls, once per call when the call is known (a per-tool limit); With `tokens`, it may read llm.* but no other protocol\'s variable (only LLM calls carry tokens).')),
  requests: Type.Optional(rate('Requests allowed per period.')),
  tokens: Type.Optional(rate('LLM tokens (input + output) allowed per period: estimated before the call, trued up from the provider\'s usage after it.')),
}, { description: 'A rate limit per key, in fixed windows of the period (aligned to the clock, shared by every replica using the same state). Over the limit → 429 with retry-after and x-ratelimit-* headers.' });

export const BudgetPolicy = Closed({
  key: Type.Optional(cel('Whose money: e.g. apiKey.metadata.team. Default: the caller (its identity, or its address when anonymous).')),
  usd: Type.Number({ exclusiveMinimum: 0, description: 'US dollars per period.' }),
  period: StringEnum(['day', 'week', 'month', 'total'] as const, { description: 'Calendar period in UTC (weeks start on Monday), or total.' }),
  reserveOutputTokens: Type.Optional(Type.Integer({ minimum: 0, default: DEFAULTS.budgetReserveOutputTokens, description: 'Output tokens reserved for a call that sets no max_tokens (max_tokens / max_completion_tokens / max_output_tokens when it does).' })),
}, { description: 'A USD budget for LLM calls: each call reserves its estimated cost before it goes out and settles its actual cost after; a call that does not fit is refused with 429 insufficient_quota.' });

export const Policy = Closed({
  cors: Type.Optional(CorsPolicy),
  apiKey: Type.Optional(ApiKeyPolicy),
  jwt: Type.Optional(JwtPolicy),
  authorize: Type.Optional(AuthorizePolicy),
  rateLimit: Type.Optional(RateLimitPolicy),
  budget: Type.Optional(BudgetPolicy),
}, { minProperties: 1, maxProperties: 1, description: 'A named policy: exactly one kind. Several authentication policies (apiKey, jwt) on one route mean "any of them".' });

export const Admin = Closed({
  host: Type.Optional(Type.String({ default: DEFAULTS.adminHost, description: 'Address the admin listener binds.' })),
  port: Type.Optional(Type.Integer({ minimum: 0, maximum: 65535, default: DEFAULTS.adminPort, description: 'Admin port; 0 picks a free one. Must differ from every listener\'s port.' })),
  token: Type.Optional(Type.String({ minLength: 16, 'x-secret': true, description: 'Bearer token the admin API (/config, /keys, /usage) requires; at least 16 characters, best given as ${VAR}; the environment variable AGENTEDGE_ADMIN_TOKEN is used when this is not set. Without either the admin API is open (bind it to loopback). /healthz, /readyz and /metrics are always open.' })),
}, { description: 'The admin listener.' });

export const GatewaySettings = Closed({
  admin: Type.Optional(Type.Union([Admin, Type.Literal('off')], {
    'x-expected': 'an admin mapping (host, port, token) or "off"',
    description: 'The admin listener (admin API, /config, /metrics, /healthz, /readyz), or "off" to disable it. Defaults to 127.0.0.1:15000.',
  })),
  accessLog: Type.Optional(Closed({
    format: Type.Optional(StringEnum(['json', 'text', 'off'] as const, { default: DEFAULTS.accessLogFormat, description: 'One line per request as JSON or text, or "off".' })),
  }, { description: 'The access log.' })),
  drainTimeout: Type.Optional(duration('How long SIGTERM/SIGINT wait for in-flight requests before closing connections.', { default: DEFAULTS.drainTimeout })),
  state: Type.Optional(Type.Union([
    Closed({ sqlite: Type.String({ minLength: 1, description: 'The SQLite file (relative to the config file; folders are created), or ":memory:".' }) }, { description: 'Embedded state in one SQLite file (WAL): one gateway process.' }),
    Closed({
      redis: Type.String({ minLength: 1, 'x-secret': true, description: 'redis://… URL: rate-limit counters and budget reservations (atomic scripts).' }),
      postgres: Type.String({ minLength: 1, 'x-secret': true, description: 'postgres://… URL: keys, the spend of budgets and the usage ledger.' }),
      prefix: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9:_.-]{1,64}$', default: DEFAULTS.redisPrefix, description: 'Prefix of every Redis key.' })),
      leases: Type.Optional(Type.Boolean({ default: true, description: 'Each replica admits calls from slices of a limit or budget it leases from Redis, so Redis is off the request path (see docs/policies.md). false asks Redis for every call: a round trip per limited call, and no refusal while another replica still holds an unused slice.' })),
    }, { description: 'Shared state for several replicas.' }),
  ], { 'x-expected': 'a mapping with sqlite, or with redis and postgres', description: `Where keys, limits, budgets and the usage ledger live. Defaults to SQLite in ${DEFAULTS.sqlitePath} next to the config file, created when something first needs state. Changing it takes a restart.` })),
  reload: Type.Optional(Closed({
    watch: Type.Optional(Type.Boolean({ default: DEFAULTS.watch, description: 'Reload when the config file changes. SIGHUP always reloads; a bad file keeps the old config serving.' })),
  }, { description: 'Live reload of the config file.' })),
}, { description: 'Process-level settings; all optional.' });

const configShape = <B extends TSchema>(backend: B) => Closed({
  gateway: Type.Optional(GatewaySettings),
  listeners: Type.Array(Listener, { description: 'Where the gateway accepts traffic.' }),
  backends: Type.Optional(NamedMap(backend, 'Named upstreams that routes send traffic to.')),
  policies: Type.Optional(NamedMap(Policy, 'Named policies that listeners and routes refer to.')),
}, {
  $id: 'https://agentedge.dev/schema/agentedge.schema.json',
  title: 'agentedge configuration',
  description: 'The agentedge config file: listeners, routes, backends and policies.',
});

const schemas = new WeakMap<readonly BackendKindConfig[], TSchema>();

/**
 * The schema of the whole file with these backend kinds, built once per list (the same
 * object each time, so the validator compiled from it is cached too).
 */
export function configSchema(kinds: readonly BackendKindConfig[]): TSchema {
  let schema = schemas.get(kinds);
  if (schema === undefined) {
    schema = configShape(backendSchema(kinds));
    schemas.set(kinds, schema);
  }
  return schema;
}

/**
 * A backend as config's own code sees it: its policies, and one key per kind, which only
 * that kind's code reads (with the type its schema fragment gives).
 */
export interface BackendConfig {
  policies?: string[];
  readonly [kindKey: string]: unknown;
}

export type Config = Static<ReturnType<typeof configShape<TUnsafe<BackendConfig>>>>;
export type ListenerConfig = Static<typeof Listener>;
export type RouteConfig = Static<typeof Route>;
export type PolicyConfig = Static<typeof Policy>;
export type GatewaySettingsConfig = Static<typeof GatewaySettings>;
export type CorsPolicyConfig = Static<typeof CorsPolicy>;
export type ApiKeyPolicyConfig = Static<typeof ApiKeyPolicy>;
export type JwtPolicyConfig = Static<typeof JwtPolicy>;
export type AuthorizePolicyConfig = Static<typeof AuthorizePolicy>;
export type RateLimitPolicyConfig = Static<typeof RateLimitPolicy>;
export type BudgetPolicyConfig = Static<typeof BudgetPolicy>;
export type DurationValue = number | string;
export type ByteSizeValue = number | string;
export type AnySchema = TSchema;

// The parts a kind's schema fragment is built from, so every kind reads like the rest.
export { Closed, StringEnum, duration as durationSchema, byteSize as sizeSchema, UpstreamQueue };
