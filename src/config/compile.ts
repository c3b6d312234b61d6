// Turns a validated config into the frozen runtime model (model.ts). Errors found here
// (an unreadable TLS file, a bad regex) still name their YAML path and position.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ConfigError, formatPath, type ConfigIssue } from './errors.js';
import type { LoadedConfig } from './load.js';
import type { BackendSpec, CorsSpec, GatewaySpec, HeaderCondition, HostPattern, ListenerLimits, ListenerSpec, PolicySpec, RouteSpec, RuntimeConfig } from './model.js';
import type { Config, CorsPolicyConfig, ListenerConfig } from './schema.js';
import { Secret } from './secret.js';
import { byteSize, durationMs } from './units.js';

export const LIMIT_DEFAULTS: ListenerLimits = Object.freeze({
  maxHeaderBytes: 16 * 1024,
  maxHeaderCount: 100,
  maxBodyBytes: 16 * 1024 * 1024,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 300_000,
  bodyIdleTimeoutMs: 30_000,
  keepAliveTimeoutMs: 5_000,
  idleTimeoutMs: 300_000,
});

export const HTTP_BACKEND_DEFAULTS = Object.freeze({
  connections: 128,
  connectTimeoutMs: 10_000,
  responseTimeoutMs: 60_000,
  idleTimeoutMs: 300_000,
  retries: 1,
});

export function compileConfig(loaded: LoadedConfig): RuntimeConfig {
  const issues: ConfigIssue[] = [];
  const at = (path: (string | number)[], message: string) => issues.push({ path: formatPath(path), ...loaded.positionOf(path), message });
  const c = loaded.config;

  const secrets = new Set<string>(loaded.envValues);
  const gateway = compileGateway(c, secrets);
  const backends = new Map<string, BackendSpec>();
  for (const [name, b] of Object.entries(c.backends ?? {})) {
    if (b.http) {
      const u = new URL(b.http.url);
      if (u.username || u.password) at(['backends', name, 'http', 'url'], 'credentials in the URL are not allowed; use headers or a policy');
      if (u.search || u.hash) at(['backends', name, 'http', 'url'], 'the URL must not have a query or fragment');
      const t = b.http.timeouts ?? {};
      const spec = {
        kind: 'http' as const,
        name,
        origin: u.origin,
        basePath: u.pathname.replace(/\/+$/, ''),
        host: u.host,
        preserveHost: b.http.preserveHost ?? false,
        connections: b.http.connections ?? HTTP_BACKEND_DEFAULTS.connections,
        connectTimeoutMs: durationMs(t.connect, HTTP_BACKEND_DEFAULTS.connectTimeoutMs),
        responseTimeoutMs: durationMs(t.response, HTTP_BACKEND_DEFAULTS.responseTimeoutMs),
        idleTimeoutMs: durationMs(t.idle, HTTP_BACKEND_DEFAULTS.idleTimeoutMs),
        retries: b.http.retries ?? HTTP_BACKEND_DEFAULTS.retries,
        key: '',
      };
      spec.key = JSON.stringify(spec);
      backends.set(name, Object.freeze(spec));
    }
  }

  const policies = new Map<string, PolicySpec>();
  for (const [name, p] of Object.entries(c.policies ?? {})) {
    if (p.cors) policies.set(name, Object.freeze({ kind: 'cors', name, cors: compileCors(p.cors) }));
  }

  const listeners = c.listeners.map((l, li) => compileListener(l, li, loaded.baseDir, at));
  if (issues.length > 0) throw new ConfigError(loaded.file, issues);

  return deepFreeze({
    file: loaded.file,
    baseDir: loaded.baseDir,
    text: loaded.text,
    source: c,
    gateway,
    listeners,
    backends,
    policies,
    secrets: [...secrets].filter((s) => s.length >= 4),
  });
}

function compileGateway(c: Config, secrets: Set<string>): GatewaySpec {
  const g = c.gateway ?? {};
  let admin: GatewaySpec['admin'] = null;
  if (g.admin !== 'off') {
    const a = g.admin ?? {};
    if (a.token) secrets.add(a.token);
    admin = { host: a.host ?? '127.0.0.1', port: a.port ?? 15000, token: a.token ? new Secret(a.token) : null };
  }
  return {
    admin,
    accessLog: g.accessLog?.format ?? 'json',
    drainTimeoutMs: durationMs(g.drainTimeout, 30_000),
    watch: g.reload?.watch ?? true,
  };
}

function compileListener(l: ListenerConfig, li: number, baseDir: string, at: (p: (string | number)[], m: string) => void): ListenerSpec {
  const lim = l.limits ?? {};
  const limits: ListenerLimits = {
    maxHeaderBytes: lim.maxHeaderBytes ?? LIMIT_DEFAULTS.maxHeaderBytes,
    maxHeaderCount: lim.maxHeaderCount ?? LIMIT_DEFAULTS.maxHeaderCount,
    maxBodyBytes: byteSize(lim.maxBodyBytes, LIMIT_DEFAULTS.maxBodyBytes),
    headersTimeoutMs: durationMs(lim.headersTimeout, LIMIT_DEFAULTS.headersTimeoutMs),
    requestTimeoutMs: durationMs(lim.requestTimeout, LIMIT_DEFAULTS.requestTimeoutMs),
    bodyIdleTimeoutMs: durationMs(lim.bodyIdleTimeout, LIMIT_DEFAULTS.bodyIdleTimeoutMs),
    keepAliveTimeoutMs: durationMs(lim.keepAliveTimeout, LIMIT_DEFAULTS.keepAliveTimeoutMs),
    idleTimeoutMs: durationMs(lim.idleTimeout, LIMIT_DEFAULTS.idleTimeoutMs),
  };
  let tls: ListenerSpec['tls'] = null;
  if (l.tls) {
    const read = (field: 'cert' | 'key') => {
      try {
        return readFileSync(resolve(baseDir, l.tls![field]));
      } catch (err) {
        at(['listeners', li, 'tls', field], `cannot read ${field} file "${l.tls![field]}" (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
        return Buffer.alloc(0);
      }
    };
    tls = { cert: read('cert'), key: read('key') };
  }
  const routes = l.routes.map((r, ri): RouteSpec => {
    const m = r.match ?? {};
    const base = ['listeners', li, 'routes', ri, 'match'];
    let pathPrefix: string | null = null;
    if (m.path !== undefined) {
      pathPrefix = m.path.replace(/\/+$/, '');
      if (/\/\/|\/\.\.?(\/|$)|%/.test(m.path)) at([...base, 'path'], 'the path prefix must be normalised (no "//", "." or ".." segments, no percent-encoding)');
    }
    const hosts: HostPattern[] | null = m.host === undefined ? null : (Array.isArray(m.host) ? m.host : [m.host]).map((h) => {
      const lower = h.toLowerCase();
      return lower.startsWith('*.') ? { suffix: lower.slice(1) } : { exact: lower };
    });
    const headers: HeaderCondition[] | null = m.headers === undefined ? null : Object.entries(m.headers).map(([name, cond]): HeaderCondition => {
      const lname = name.toLowerCase();
      if (typeof cond === 'string') return { name: lname, kind: 'exact', value: cond };
      if ('regex' in cond) {
        try {
          return { name: lname, kind: 'regex', regex: new RegExp(cond.regex) };
        } catch (err) {
          at([...base, 'headers', name, 'regex'], `invalid regular expression: ${(err as Error).message}`);
          return { name: lname, kind: 'present', present: true };
        }
      }
      return { name: lname, kind: 'present', present: cond.present };
    });
    const policies = [...new Set([...(l.policies ?? []), ...(r.policies ?? [])])];
    return {
      name: r.name,
      listener: l.name,
      pathPrefix,
      hosts,
      methods: m.methods ? new Set(m.methods.map((x) => x.toUpperCase())) : null,
      headers,
      backend: r.backend,
      policies,
      stripPrefix: r.stripPrefix ?? false,
      maxBodyBytes: byteSize(r.limits?.maxBodyBytes, limits.maxBodyBytes),
    };
  });
  const host = l.host ?? '127.0.0.1';
  return {
    name: l.name,
    host,
    port: l.port,
    tls,
    limits,
    routes,
    bindKey: JSON.stringify({ host, port: l.port, limits, tls: tls ? createHash('sha256').update(tls.cert).update(tls.key).digest('hex') : null }),
  };
}

function compileCors(p: CorsPolicyConfig): CorsSpec {
  return {
    origins: p.allowOrigins.map((o) => {
      if (o === '*') return { any: true as const };
      const m = /^(https?):\/\/\*(\..+)$/.exec(o);
      if (m) return { scheme: m[1]!, suffix: m[2]!.toLowerCase() };
      return { exact: o.toLowerCase().replace(/\/$/, '') };
    }),
    allowMethods: (p.allowMethods ?? ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']).map((m) => m.toUpperCase()).join(', '),
    allowHeaders: p.allowHeaders ? p.allowHeaders.join(', ') : null,
    exposeHeaders: p.exposeHeaders ? p.exposeHeaders.join(', ') : null,
    allowCredentials: p.allowCredentials ?? false,
    maxAgeSeconds: p.maxAge === undefined ? null : Math.floor(durationMs(p.maxAge, 0) / 1000),
  };
}

function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object' && !Object.isFrozen(o) && !Buffer.isBuffer(o) && !(o instanceof RegExp) && !(o instanceof Secret)) {
    Object.freeze(o);
    if (o instanceof Map || o instanceof Set) {
      for (const v of o.values()) deepFreeze(v);
    } else {
      for (const v of Object.values(o)) deepFreeze(v);
    }
  }
  return o;
}
