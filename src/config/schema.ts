// The one source of the config file's shape. The JSON Schema in schema/agentedge.schema.json
// is generated from this file (npm run schema) and a test fails when the two drift.
// Every object is closed (additionalProperties: false) so a typo is an error, not a no-op.
// Descriptions here are the documentation: docs/config.md is generated from them.
import { Type, type Static, type TSchema, type ObjectOptions, type TProperties } from '@sinclair/typebox';

const Closed = <T extends TProperties>(props: T, opts: ObjectOptions = {}) =>
  Type.Object(props, { additionalProperties: false, ...opts });

/** Milliseconds as an integer, or a string such as "500ms", "30s", "5m", "1h". */
export const Duration = Type.Union([
  Type.Integer({ minimum: 0 }),
  Type.String({ pattern: '^[0-9]+(\\.[0-9]+)?(ms|s|m|h)$' }),
], { description: 'A duration: milliseconds as a number, or a string like "500ms", "30s", "5m", "1h".' });

/** Bytes as an integer, or a string such as "64kb", "16mb" (powers of 1024). */
export const ByteSize = Type.Union([
  Type.Integer({ minimum: 0 }),
  Type.String({ pattern: '^[0-9]+([kKmMgG][iI]?[bB]|[bB])?$' }),
], { description: 'A size in bytes: a number, or a string like "64kb", "16mb" (units of 1024).' });

const Name = Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._-]*$', maxLength: 64, description: 'A name: letters, digits, ".", "_" and "-".' });
const PolicyRefs = Type.Array(Type.String(), { description: 'Names of policies (from `policies:`) applied here, in order.' });

export const ListenerLimits = Closed({
  maxHeaderBytes: Type.Optional(Type.Integer({ minimum: 1024, maximum: 1048576, description: 'Largest total size of request headers in bytes (default 16384). Larger → 431.' })),
  maxHeaderCount: Type.Optional(Type.Integer({ minimum: 8, maximum: 2000, description: 'Most request headers (default 100). More → 431.' })),
  maxBodyBytes: Type.Optional(ByteSize),
  headersTimeout: Type.Optional(Duration),
  requestTimeout: Type.Optional(Duration),
  bodyIdleTimeout: Type.Optional(Duration),
  keepAliveTimeout: Type.Optional(Duration),
  idleTimeout: Type.Optional(Duration),
}, { description: 'Downstream limits. Defaults: maxHeaderBytes 16384, maxHeaderCount 100, maxBodyBytes 16mb, headersTimeout 10s (slow headers → 408), requestTimeout 300s (whole request received), bodyIdleTimeout 30s (no body byte → 408), keepAliveTimeout 5s, idleTimeout 300s (a response the client does not read).' });

export const RouteMatch = Closed({
  path: Type.Optional(Type.String({ pattern: '^/', description: 'Path prefix, matched on segment boundaries: "/v1" matches "/v1" and "/v1/x", not "/v10".' })),
  host: Type.Optional(Type.Union([Type.String(), Type.Array(Type.String(), { minItems: 1 })], { description: 'Host name(s), exact or "*.example.com" (any subdomain). The port is ignored.' })),
  methods: Type.Optional(Type.Array(Type.String({ pattern: '^[A-Za-z]+$' }), { minItems: 1, description: 'HTTP methods (any case).' })),
  headers: Type.Optional(Type.Record(Type.String({ pattern: '^[A-Za-z0-9!#$%&\'*+.^_`|~-]+$' }), Type.Union([
    Type.String(),
    Closed({ regex: Type.String({ description: 'A regular expression the header value must match.' }) }),
    Closed({ present: Type.Boolean({ description: 'true: the header must be present; false: absent.' }) }),
  ]), { description: 'Header conditions: an exact value, { regex }, or { present }.' })),
}, { description: 'Conditions, all of which must hold. An empty match matches everything.' });

export const Route = Closed({
  name: Name,
  match: Type.Optional(RouteMatch),
  backend: Type.String({ description: 'Name of a backend in `backends:`.' }),
  policies: Type.Optional(PolicyRefs),
  stripPrefix: Type.Optional(Type.Boolean({ description: 'Remove the matched path prefix before forwarding to an http backend (default false).' })),
  limits: Type.Optional(Closed({ maxBodyBytes: Type.Optional(ByteSize) }, { description: 'Per-route overrides of listener limits.' })),
});

export const Tls = Closed({
  cert: Type.String({ description: 'PEM certificate chain file, relative to the config file.' }),
  key: Type.String({ description: 'PEM private key file, relative to the config file.' }),
});

export const Listener = Closed({
  name: Name,
  host: Type.Optional(Type.String({ description: 'Address to bind (default 127.0.0.1; use 0.0.0.0 for all interfaces).' })),
  port: Type.Integer({ minimum: 0, maximum: 65535, description: 'TCP port; 0 picks a free one.' }),
  tls: Type.Optional(Tls),
  policies: Type.Optional(PolicyRefs),
  limits: Type.Optional(ListenerLimits),
  routes: Type.Array(Route, { description: 'Routes in order: the first that matches wins.' }),
});

export const HttpBackend = Closed({
  url: Type.String({ pattern: '^https?://', description: 'Upstream base URL; its path is prepended to the request path.' }),
  preserveHost: Type.Optional(Type.Boolean({ description: 'Send the client\'s Host header upstream instead of the upstream\'s own (default false).' })),
  connections: Type.Optional(Type.Integer({ minimum: 1, maximum: 10000, description: 'Most open connections to the upstream (default 128).' })),
  timeouts: Type.Optional(Closed({
    connect: Type.Optional(Duration),
    response: Type.Optional(Duration),
    idle: Type.Optional(Duration),
  }, { description: 'Upstream timeouts. connect (default 10s) → 504; response: until response headers (default 60s) → 504; idle: between body chunks (default 300s) → stream error.' })),
  retries: Type.Optional(Type.Integer({ minimum: 0, maximum: 5, description: 'Retries of a request that provably never reached the upstream (connection refused), for requests without a streamed body (default 1).' })),
});

export const Backend = Closed({
  http: Type.Optional(HttpBackend),
}, { minProperties: 1, maxProperties: 1, description: 'A backend: exactly one kind. `http` is a reverse proxy. (llm, mcp and a2a backends come with their own issues.)' });

export const CorsPolicy = Closed({
  allowOrigins: Type.Array(Type.String(), { minItems: 1, description: 'Allowed origins, exact ("https://app.example.com"), "*" or "https://*.example.com".' }),
  allowMethods: Type.Optional(Type.Array(Type.String())),
  allowHeaders: Type.Optional(Type.Array(Type.String())),
  exposeHeaders: Type.Optional(Type.Array(Type.String())),
  allowCredentials: Type.Optional(Type.Boolean()),
  maxAge: Type.Optional(Duration),
}, { description: 'CORS: answers preflight requests and adds Access-Control-* headers. A request from an origin not allowed is refused with 403.' });

export const Policy = Closed({
  cors: Type.Optional(CorsPolicy),
}, { minProperties: 1, maxProperties: 1, description: 'A named policy: exactly one kind.' });

export const Admin = Closed({
  host: Type.Optional(Type.String({ description: 'Default 127.0.0.1.' })),
  port: Type.Optional(Type.Integer({ minimum: 0, maximum: 65535, description: 'Default 15000; 0 picks a free one.' })),
  token: Type.Optional(Type.String({ minLength: 16, 'x-secret': true, description: 'Bearer token for the admin API (/config and later endpoints). /healthz, /readyz and /metrics stay open.' })),
});

export const GatewaySettings = Closed({
  admin: Type.Optional(Type.Union([Admin, Type.Literal('off')], { description: 'Admin listener, or "off".' })),
  accessLog: Type.Optional(Closed({
    format: Type.Optional(Type.Union([Type.Literal('json'), Type.Literal('text'), Type.Literal('off')], { description: 'json (default), text or off.' })),
  })),
  drainTimeout: Type.Optional(Duration),
  reload: Type.Optional(Closed({
    watch: Type.Optional(Type.Boolean({ description: 'Reload when the file changes (default true).' })),
  })),
}, { description: 'Process-level settings; all optional. drainTimeout: how long SIGTERM waits for in-flight requests (default 30s).' });

export const ConfigSchema = Closed({
  gateway: Type.Optional(GatewaySettings),
  listeners: Type.Array(Listener, { description: 'Where the gateway accepts traffic.' }),
  backends: Type.Optional(Type.Record(Name, Backend, { description: 'Named upstreams that routes send traffic to.' })),
  policies: Type.Optional(Type.Record(Name, Policy, { description: 'Named policies that listeners and routes refer to.' })),
}, {
  $id: 'https://agentedge.dev/schema/agentedge.schema.json',
  title: 'agentedge configuration',
});

export type Config = Static<typeof ConfigSchema>;
export type ListenerConfig = Static<typeof Listener>;
export type RouteConfig = Static<typeof Route>;
export type BackendConfig = Static<typeof Backend>;
export type HttpBackendConfig = Static<typeof HttpBackend>;
export type PolicyConfig = Static<typeof Policy>;
export type CorsPolicyConfig = Static<typeof CorsPolicy>;
export type DurationValue = Static<typeof Duration>;
export type ByteSizeValue = Static<typeof ByteSize>;
export type AnySchema = TSchema;
