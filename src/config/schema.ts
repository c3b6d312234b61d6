// The one source of the config file's shape. The JSON Schema in schema/agentedge.schema.json
// and the key reference in docs/config.md are generated from this file (npm run schema), and
// a test fails when they drift. Every object is closed (additionalProperties: false) so a
// typo is an error, not a no-op. Descriptions and `default`s here are the documentation;
// compile.ts applies the same DEFAULTS, so what the docs promise is what runs.
// Custom annotations: `x-secret` marks values the admin API redacts; `x-expected` is the
// phrase an error message uses for a value ("must be <x-expected>"), `x-key` the same for
// the keys of a map.
import { Type, type Static, type TSchema, type ObjectOptions, type SchemaOptions, type TProperties } from '@sinclair/typebox';

const Closed = <T extends TProperties>(props: T, opts: ObjectOptions = {}) =>
  Type.Object(props, { additionalProperties: false, ...opts });

/** Defaults, as written in a config file. compile.ts converts and applies them. */
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
  headersTimeout: '10s',
  requestTimeout: '300s',
  bodyIdleTimeout: '30s',
  keepAliveTimeout: '5s',
  idleTimeout: '300s',
  stripPrefix: false,
  preserveHost: false,
  connections: 128,
  connectTimeout: '10s',
  responseTimeout: '60s',
  upstreamIdleTimeout: '300s',
  retries: 1,
  corsMethods: Object.freeze(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']),
  allowCredentials: false,
  llmTimeout: '600s',
  llmRetries: 0,
  llmRetryBackoff: '500ms',
  llmMaxRetryWait: '10s',
  cooldownFailures: 3,
  cooldownDuration: '30s',
  loadBalanceWeight: 1,
  azureApiVersion: '2024-10-21',
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
  policies: Type.Optional(policyRefs('Policies applied to every route of this listener, before the route\'s own.')),
  limits: Type.Optional(ListenerLimits),
  routes: Type.Array(Route, { description: 'Routes in order: the first that matches wins. No match → 404.' }),
}, { description: 'A listener: an address where the gateway accepts downstream traffic.' });

export const HttpBackend = Closed({
  url: Type.String({ pattern: '^https?://', 'x-expected': 'an http:// or https:// URL', description: 'Upstream base URL, without query, fragment or credentials; its path is prepended to the request path.' }),
  preserveHost: Type.Optional(Type.Boolean({ default: DEFAULTS.preserveHost, description: 'Send the client\'s Host header upstream instead of the upstream\'s own.' })),
  connections: Type.Optional(Type.Integer({ minimum: 1, maximum: 10000, default: DEFAULTS.connections, description: 'Most open connections to the upstream.' })),
  timeouts: Type.Optional(Closed({
    connect: Type.Optional(duration('Time allowed to connect. Slower → 504.', { default: DEFAULTS.connectTimeout })),
    response: Type.Optional(duration('Time allowed until the response headers arrive. Slower → 504.', { default: DEFAULTS.responseTimeout })),
    idle: Type.Optional(duration('Longest pause between two chunks of the response body; then the response ends with an error.', { default: DEFAULTS.upstreamIdleTimeout })),
  }, { description: 'Upstream timeouts.' })),
  retries: Type.Optional(Type.Integer({ minimum: 0, maximum: 5, default: DEFAULTS.retries, description: 'Retries of a request that provably never reached the upstream (connection refused), for requests without a streamed body.' })),
}, { description: 'A plain HTTP reverse proxy.' });

/** Providers the llm backend speaks. */
export const LLM_PROVIDERS = ['openai', 'openai-compatible', 'azure', 'anthropic', 'gemini', 'vertex', 'bedrock'] as const;

const modelRef = (description: string) => Type.String({ pattern: '^[^\\s]{1,256}$', 'x-expected': 'the name of a model of this backend', description });

export const LlmPrice = Closed({
  input: Type.Number({ minimum: 0, description: 'USD per million input tokens (not read from or written to the cache).' }),
  output: Type.Number({ minimum: 0, description: 'USD per million output tokens.' }),
  cacheRead: Type.Optional(Type.Number({ minimum: 0, description: 'USD per million input tokens read from the prompt cache; defaults to `input`.' })),
  cacheWrite: Type.Optional(Type.Number({ minimum: 0, description: 'USD per million input tokens written to the prompt cache; defaults to `input`.' })),
}, { description: 'The price of this model in USD per million tokens, overriding the bundled price table (@pydantic/genai-prices). Without it a model the table does not know has an unknown cost, never $0.' });

export const LlmModel = Closed({
  name: Type.String({ pattern: '^[^\\s]{1,256}$', 'x-expected': 'a model name of 1 to 256 characters without spaces', description: 'The name clients send in "model"; unique within the backend.' }),
  provider: Type.Optional(StringEnum(LLM_PROVIDERS, { description: 'Who serves the model: "openai" (api.openai.com), "openai-compatible" (any server with the OpenAI API: vLLM, Ollama, Groq, …), "azure" (Azure OpenAI deployments), "anthropic" (the Anthropic Messages API), "gemini" (the Google AI Gemini API), "vertex" (Gemini and Claude models on Google Vertex AI) or "bedrock" (Amazon Bedrock Converse, SigV4-signed). Formats are translated between the client\'s API and the provider\'s. A virtual model has `failover` or `loadBalance` instead.' })),
  model: Type.Optional(Type.String({ minLength: 1, description: 'The model name sent upstream, when it differs from `name` (for vertex, e.g. gemini-2.0-flash or claude-sonnet-4-5@20250929).' })),
  apiKey: Type.Optional(Type.String({ minLength: 1, 'x-secret': true, description: 'The key sent upstream as "Authorization: Bearer …" (as "x-api-key" for anthropic, "x-goog-api-key" for gemini, "api-key" for azure); required for openai, azure, anthropic and gemini, optional for openai-compatible; not allowed for bedrock (AWS signing) and vertex (Google credentials). Best given as ${VAR}. The client\'s own credentials are never forwarded unless `passthrough` is set.' })),
  passthrough: Type.Optional(Type.Boolean({ default: false, description: 'Forward the client\'s own Authorization / x-api-key / api-key header upstream as it came (the caller brings its provider key). The model\'s apiKey is then used only when the client sent none.' })),
  baseUrl: Type.Optional(Type.String({ pattern: '^https?://', 'x-expected': 'an http:// or https:// URL', description: 'The base URL the provider\'s own SDK uses, ending in /v1 for OpenAI-style APIs (e.g. http://localhost:11434/v1). Defaults to https://api.openai.com/v1 for openai, https://api.anthropic.com for anthropic, https://generativelanguage.googleapis.com for gemini, https://{location}-aiplatform.googleapis.com for vertex and https://bedrock-runtime.{region}.amazonaws.com for bedrock; required for openai-compatible and azure (https://{resource}.openai.azure.com).' })),
  headers: Type.Optional(Type.Record(
    Type.String({ pattern: '^[A-Za-z0-9!#$%&\'*+.^_`|~-]+$' }),
    Type.String({ pattern: '^[^\\r\\n\\u0000]*$', 'x-expected': 'a header value without line breaks', 'x-secret': true, description: 'A header value (redacted by the admin API).' }),
    { additionalProperties: false, 'x-key': 'a header name', description: 'Extra headers sent upstream with every request for this model.' },
  )),
  deployment: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9._-]{1,64}$', 'x-expected': 'an Azure deployment name', description: 'azure only: the deployment name in the URL (…/openai/deployments/{deployment}/…); defaults to `model`, then `name`.' })),
  apiVersion: Type.Optional(Type.String({ pattern: '^[0-9]{4}-[0-9]{2}-[0-9]{2}(-preview)?$', 'x-expected': 'an Azure api-version such as 2024-10-21', description: 'azure only: the api-version query parameter.', default: DEFAULTS.azureApiVersion })),
  project: Type.Optional(Type.String({ pattern: '^[a-z][a-z0-9-]{4,62}$', 'x-expected': 'a Google Cloud project id', description: 'vertex only: the Google Cloud project. Defaults to the credentials file\'s project_id, then GOOGLE_CLOUD_PROJECT from the environment at load.' })),
  location: Type.Optional(Type.String({ pattern: '^[a-z0-9-]{1,64}$', 'x-expected': 'a Google Cloud location such as us-central1 or global', description: 'vertex only: the location (region) serving the model, e.g. us-central1, europe-west4 or global. Defaults to GOOGLE_CLOUD_LOCATION from the environment at load, then us-central1.' })),
  credentials: Type.Optional(Type.String({ minLength: 1, description: 'vertex only: a Google credentials JSON file (a service-account key, or the authorized_user file `gcloud auth application-default login` writes), relative to the config file. Defaults to GOOGLE_APPLICATION_CREDENTIALS from the environment at load. The access token is fetched from its token_uri and cached until shortly before it expires.' })),
  region: Type.Optional(Type.String({ pattern: '^[a-z0-9-]{1,64}$', 'x-expected': 'an AWS region such as us-east-1', description: 'bedrock only: the AWS region (e.g. us-east-1), used for the default baseUrl and for signing. Defaults to AWS_REGION, then AWS_DEFAULT_REGION, from the environment at load.' })),
  aws: Type.Optional(Closed({
    accessKeyId: Type.String({ minLength: 1, description: 'The AWS access key id (AKIA… or ASIA…).' }),
    secretAccessKey: Type.String({ minLength: 1, 'x-secret': true, description: 'The AWS secret access key. Best given as ${VAR}.' }),
    sessionToken: Type.Optional(Type.String({ minLength: 1, 'x-secret': true, description: 'The session token of temporary credentials (STS). Best given as ${VAR}.' })),
  }, { description: 'bedrock only: the AWS credentials requests are signed with (SigV4). Without it, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN are read from the environment at load.' })),
  timeout: Type.Optional(duration('Time allowed until the upstream answers with response headers, and the longest pause between two chunks of its body. Slower → 504 (or an error event in a stream).', { default: DEFAULTS.llmTimeout })),
  retries: Type.Optional(Type.Integer({ minimum: 0, maximum: 5, default: DEFAULTS.llmRetries, description: 'Further attempts at this model after a connection failure, a 5xx or a 429, before anything was sent to the client. Waits `retryBackoff`, doubled each time (with jitter), or the upstream\'s retry-after when longer; a retry-after beyond `maxRetryWait` ends the retries. Then a virtual model fails over to its next target.' })),
  retryBackoff: Type.Optional(duration('The wait before the first retry; each further retry waits twice as long (with jitter).', { default: DEFAULTS.llmRetryBackoff })),
  maxRetryWait: Type.Optional(duration('The longest wait before a retry; an upstream asking (retry-after) for longer is not retried but failed over (or its 429 passed on).', { default: DEFAULTS.llmMaxRetryWait })),
  price: Type.Optional(LlmPrice),
  failover: Type.Optional(Type.Array(modelRef('A model of this backend.'), { minItems: 1, uniqueItems: true, description: 'A virtual model: tries these models in order, moving on after a connection failure, a 5xx or a 429 (after that model\'s own retries), as long as nothing was sent to the client yet. Models cooling down are tried last.' })),
  loadBalance: Type.Optional(Type.Array(Closed({
    model: modelRef('A model of this backend.'),
    weight: Type.Optional(Type.Integer({ minimum: 0, maximum: 1000000, default: DEFAULTS.loadBalanceWeight, description: 'Share of the calls, relative to the others; 0 takes the model out of rotation (it still serves as a fallback).' })),
  }), { minItems: 1, description: 'A virtual model: spreads calls over these models by weight; a call that fails (as for failover) moves on to the others, by weight.' })),
}, { description: 'One model clients can call: a concrete model (with `provider`), or a virtual model (with `failover` or `loadBalance`) over the concrete models of the same backend.' });

export const LlmBackend = Closed({
  models: Type.Array(LlmModel, { minItems: 1, description: 'The models this backend serves; a request names one in "model".' }),
  cooldown: Type.Optional(Closed({
    failures: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: DEFAULTS.cooldownFailures, description: 'Consecutive failed calls (connection failure, 5xx, 429) that take a model out of virtual models\' rotation.' })),
    duration: Type.Optional(duration('How long a failing model stays out of rotation; a 429 with a longer retry-after keeps it out that long (up to 10 times this).', { default: DEFAULTS.cooldownDuration })),
  }, { description: 'Taking failing models out of the rotation of virtual models for a while. When every target of a virtual model is cooling down they are all tried anyway: a call is never refused for it.' })),
}, { description: 'An LLM gateway: serves P/chat/completions, P/responses, P/embeddings and P/models (OpenAI shapes) and P/messages (Anthropic shape) under the route prefix P, and forwards each request to the provider of the model it names.' });

export const Backend = Closed({
  http: Type.Optional(HttpBackend),
  llm: Type.Optional(LlmBackend),
}, { minProperties: 1, maxProperties: 1, description: 'A backend: exactly one kind. (mcp and a2a backends come with their own issues.)' });

export const CorsPolicy = Closed({
  allowOrigins: Type.Array(Type.String({ description: 'An origin.' }), { minItems: 1, description: 'Allowed origins: exact ("https://app.example.com"), "*", or "https://*.example.com" (any subdomain).' }),
  allowMethods: Type.Optional(Type.Array(Type.String({ description: 'An HTTP method.' }), { default: [...DEFAULTS.corsMethods], description: 'Methods a preflight allows.' })),
  allowHeaders: Type.Optional(Type.Array(Type.String({ description: 'A header name.' }), { description: 'Request headers a preflight allows; when unset, the headers the preflight asks for are allowed.' })),
  exposeHeaders: Type.Optional(Type.Array(Type.String({ description: 'A header name.' }), { description: 'Response headers the browser may read (Access-Control-Expose-Headers); none when unset.' })),
  allowCredentials: Type.Optional(Type.Boolean({ default: DEFAULTS.allowCredentials, description: 'Allow cookies and credentials (Access-Control-Allow-Credentials); with "*" the request\'s own origin is echoed.' })),
  maxAge: Type.Optional(duration('How long a browser may cache a preflight answer (Access-Control-Max-Age); not sent when unset.')),
}, { description: 'CORS: answers preflight requests and adds Access-Control-* headers. A request from an origin not allowed is refused with 403.' });

export const Policy = Closed({
  cors: Type.Optional(CorsPolicy),
}, { minProperties: 1, maxProperties: 1, description: 'A named policy: exactly one kind.' });

export const Admin = Closed({
  host: Type.Optional(Type.String({ default: DEFAULTS.adminHost, description: 'Address the admin listener binds.' })),
  port: Type.Optional(Type.Integer({ minimum: 0, maximum: 65535, default: DEFAULTS.adminPort, description: 'Admin port; 0 picks a free one. Must differ from every listener\'s port.' })),
  token: Type.Optional(Type.String({ minLength: 16, 'x-secret': true, description: 'Bearer token the admin API (/config and later endpoints) requires; at least 16 characters, best given as ${VAR}. Without it the admin API is open. /healthz, /readyz and /metrics are always open.' })),
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
  reload: Type.Optional(Closed({
    watch: Type.Optional(Type.Boolean({ default: DEFAULTS.watch, description: 'Reload when the config file changes. SIGHUP always reloads; a bad file keeps the old config serving.' })),
  }, { description: 'Live reload of the config file.' })),
}, { description: 'Process-level settings; all optional.' });

export const ConfigSchema = Closed({
  gateway: Type.Optional(GatewaySettings),
  listeners: Type.Array(Listener, { description: 'Where the gateway accepts traffic.' }),
  backends: Type.Optional(NamedMap(Backend, 'Named upstreams that routes send traffic to.')),
  policies: Type.Optional(NamedMap(Policy, 'Named policies that listeners and routes refer to.')),
}, {
  $id: 'https://agentedge.dev/schema/agentedge.schema.json',
  title: 'agentedge configuration',
  description: 'The agentedge config file: listeners, routes, backends and policies.',
});

export type Config = Static<typeof ConfigSchema>;
export type ListenerConfig = Static<typeof Listener>;
export type RouteConfig = Static<typeof Route>;
export type BackendConfig = Static<typeof Backend>;
export type HttpBackendConfig = Static<typeof HttpBackend>;
export type LlmBackendConfig = Static<typeof LlmBackend>;
export type LlmModelConfig = Static<typeof LlmModel>;
export type LlmPriceConfig = Static<typeof LlmPrice>;
export type PolicyConfig = Static<typeof Policy>;
export type CorsPolicyConfig = Static<typeof CorsPolicy>;
export type DurationValue = number | string;
export type ByteSizeValue = number | string;
export type AnySchema = TSchema;
