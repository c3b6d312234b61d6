// The http backend kind: `backends.<name>.http`, a plain HTTP reverse proxy. Its schema
// fragment, its compiler and its handler factory (core/http-proxy.ts's HttpBackend, the
// proxy every kind's upstream side shares); gateway/kinds.ts registers it.
import { Type, type Static } from '@sinclair/typebox';
import { Closed, DEFAULTS, HTTP_BACKEND_DEFAULTS, UpstreamQueue, durationSchema as duration, type CompileHelpers } from '../config/index.js';
import { HttpBackend as HttpProxy, type BackendKind, type HttpBackendSpec } from '../core/index.js';

export const HttpBackend = Closed({
  url: Type.String({ pattern: '^https?://', 'x-expected': 'an http:// or https:// URL', description: 'Upstream base URL, without query, fragment or credentials; its path is prepended to the request path.' }),
  preserveHost: Type.Optional(Type.Boolean({ default: DEFAULTS.preserveHost, description: 'Send the client\'s Host header upstream instead of the upstream\'s own.' })),
  passthrough: Type.Optional(Type.Boolean({ default: DEFAULTS.httpPassthrough, description: 'Forward the credential the caller authenticated with at the gateway (its API key or JWT, in the header it came in) to the upstream, for an upstream that verifies it itself. By default it is withheld; other Authorization, x-api-key and api-key headers pass either way.' })),
  connections: Type.Optional(Type.Integer({ minimum: 1, maximum: 10000, default: DEFAULTS.connections, description: 'Most open connections to the upstream, which is the most requests in flight (one request per connection at a time; a WebSocket holds its connection until it closes). Requests over it wait in `queue`.' })),
  queue: Type.Optional(UpstreamQueue),
  timeouts: Type.Optional(Closed({
    connect: Type.Optional(duration('Time allowed to connect. Slower → 504.', { default: DEFAULTS.connectTimeout })),
    response: Type.Optional(duration('Time allowed until the response headers arrive. Slower → 504.', { default: DEFAULTS.responseTimeout })),
    idle: Type.Optional(duration('Longest pause between two chunks of the response body; then the response ends with an error.', { default: DEFAULTS.upstreamIdleTimeout })),
  }, { description: 'Upstream timeouts.' })),
  retries: Type.Optional(Type.Integer({ minimum: 0, maximum: 5, default: DEFAULTS.retries, description: 'Retries of a request that provably never reached the upstream (connection refused), for requests without a streamed body.' })),
}, { description: 'A plain HTTP reverse proxy.' });


export type HttpBackendConfig = Static<typeof HttpBackend>;

/** Compiles `backends.<name>.http`; a URL it cannot use is a config error at its path. */
function compileHttpBackend(b: HttpBackendConfig, name: string, h: CompileHelpers): HttpBackendSpec {
  const { at, ms } = h;
  const urlPath = ['backends', name, 'http', 'url'];
  let u: URL;
  try {
    u = new URL(b.url);
  } catch {
    at(urlPath, 'is not a valid URL');
    // The load fails with that issue; the spec is never served.
    u = new URL('http://invalid');
  }
  if (u.username || u.password) at(urlPath, 'credentials in the URL are not allowed; use headers or a policy');
  if (u.search || u.hash) at(urlPath, 'the URL must not have a query or fragment');
  const t = b.timeouts ?? {};
  const tp = ['backends', name, 'http', 'timeouts'];
  const spec = {
    kind: 'http' as const,
    name,
    origin: u.origin,
    basePath: u.pathname.replace(/\/+$/, ''),
    host: u.host,
    preserveHost: b.preserveHost ?? DEFAULTS.preserveHost,
    passthrough: b.passthrough ?? DEFAULTS.httpPassthrough,
    connections: b.connections ?? HTTP_BACKEND_DEFAULTS.connections,
    queueSize: b.queue?.size ?? HTTP_BACKEND_DEFAULTS.queueSize,
    queueTimeoutMs: ms(['backends', name, 'http', 'queue', 'timeout'], b.queue?.timeout, HTTP_BACKEND_DEFAULTS.queueTimeoutMs),
    connectTimeoutMs: ms([...tp, 'connect'], t.connect, HTTP_BACKEND_DEFAULTS.connectTimeoutMs),
    responseTimeoutMs: ms([...tp, 'response'], t.response, HTTP_BACKEND_DEFAULTS.responseTimeoutMs),
    idleTimeoutMs: ms([...tp, 'idle'], t.idle, HTTP_BACKEND_DEFAULTS.idleTimeoutMs),
    retries: b.retries ?? HTTP_BACKEND_DEFAULTS.retries,
    key: '',
  };
  spec.key = JSON.stringify(spec);
  return spec;
}

export const httpKind: BackendKind<HttpBackendConfig, HttpBackendSpec> = {
  key: 'http',
  schema: HttpBackend,
  compile: compileHttpBackend,
  create: (spec, deps) => new HttpProxy(spec, deps.observer, deps.upstreams),
};

// Registers the spec type under the kind's key: a spec narrows on `kind === 'http'`.
declare module '../config/model.js' {
  interface BackendSpecs { http: HttpBackendSpec }
}
