// Turns a validated config into the frozen runtime model (model.ts). Errors found here
// (an unreadable TLS file, a bad regex) still name their YAML path and position. Defaults
// come from schema.ts's DEFAULTS, the same values the schema and docs state. Each backend
// is compiled by its kind (kind.ts), and CEL is checked by the PolicyChecks config is
// given: the loaded config carries both (load.ts).
import { createHash, createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import { closeSync, fstatSync, openSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ConfigError, fileErrorText, formatPath, type ConfigIssue } from './errors.js';
import type { LoadedConfig } from './load.js';
import type { RegisteredBackendSpec, CorsSpec, GatewaySpec, HeaderCondition, JwtSpec, RateSpec, StateSpec, HostPattern, ListenerLimits, ListenerSpec, PolicySpec, RouteSpec, RuntimeConfig } from './model.js';
import { DEFAULTS, configSchema, type Config, type CorsPolicyConfig, type GatewaySettingsConfig, type PolicyConfig, type DurationValue, type ListenerConfig } from './schema.js';
import type { CompileHelpers, PolicyChecks } from './kind.js';
import { MIN_SECRET_LENGTH, Secret } from './secret.js';
import { byteSize, durationMs } from './units.js';

export const LIMIT_DEFAULTS: ListenerLimits = Object.freeze({
  maxHeaderBytes: DEFAULTS.maxHeaderBytes,
  maxHeaderCount: DEFAULTS.maxHeaderCount,
  maxBodyBytes: byteSize(DEFAULTS.maxBodyBytes, 0),
  maxJsonDepth: DEFAULTS.maxJsonDepth,
  headersTimeoutMs: durationMs(DEFAULTS.headersTimeout, 0),
  requestTimeoutMs: durationMs(DEFAULTS.requestTimeout, 0),
  bodyIdleTimeoutMs: durationMs(DEFAULTS.bodyIdleTimeout, 0),
  keepAliveTimeoutMs: durationMs(DEFAULTS.keepAliveTimeout, 0),
  idleTimeoutMs: durationMs(DEFAULTS.idleTimeout, 0),
});

export const HTTP_BACKEND_DEFAULTS = Object.freeze({
  connections: DEFAULTS.connections,
  queueSize: DEFAULTS.queueSize,
  queueTimeoutMs: durationMs(DEFAULTS.queueTimeout, 0),
  connectTimeoutMs: durationMs(DEFAULTS.connectTimeout, 0),
  responseTimeoutMs: durationMs(DEFAULTS.responseTimeout, 0),
  idleTimeoutMs: durationMs(DEFAULTS.upstreamIdleTimeout, 0),
  retries: DEFAULTS.retries,
});

/** A certificate chain or key is a few KiB; anything this big is the wrong file. */
const MAX_PEM_BYTES = 1024 * 1024;

/** Node timers overflow above this (a longer timeout silently becomes 1 ms). */
const MAX_TIMER_MS = 2 ** 31 - 1;

type At = (path: (string | number)[], message: string) => void;

export function compileConfig(loaded: LoadedConfig): RuntimeConfig {
  const ext = loaded.extensions;
  const issues: ConfigIssue[] = [];
  const at: At = (path, message) => issues.push({ path: formatPath(path), ...loaded.positionOf(path), message });
  const ms = durationChecker(at);
  const c = loaded.config;

  const secrets = new Set<string>(loaded.secretEnvValues);
  const gateway = compileGateway(c, secrets, ms, loaded.baseDir);
  const backends = new Map<string, RegisteredBackendSpec>();
  const helpers: CompileHelpers = {
    at: (path, message) => { at([...path], message); },
    ms: (path, v, fallback) => ms([...path], v, fallback),
    secret: (value) => { secrets.add(value); },
    env: loaded.env ?? {},
    baseDir: loaded.baseDir,
    readSmallFile,
  };
  for (const [name, b] of Object.entries(c.backends ?? {})) {
    // semantic.ts made sure exactly one kind's key is set.
    const kind = ext.backendKinds.find((k) => b[k.key] !== undefined);
    // A kind's compile gives the spec type it registered in BackendSpecs under its key.
    if (kind !== undefined) backends.set(name, Object.freeze(kind.compile(b[kind.key], name, helpers)) as RegisteredBackendSpec);
  }

  const policies = new Map<string, PolicySpec>();
  for (const [name, p] of Object.entries(c.policies ?? {})) {
    const spec = compilePolicy(name, p, secrets, at, ms, loaded.baseDir, ext.policyChecks);
    if (spec !== null) policies.set(name, spec);
  }

  const listeners = c.listeners.map((l, li) => compileListener(l, li, loaded.baseDir, at, ms, c.backends ?? {}));
  if (issues.length > 0) throw new ConfigError(loaded.file, issues.sort((a, b) => a.line - b.line || a.column - b.column), new Set([...secrets, ...loaded.envValues]));

  const frozen = deepFreeze({
    file: loaded.file,
    baseDir: loaded.baseDir,
    text: loaded.text,
    source: c,
    gateway,
    listeners,
    backends,
    policies,
    secrets: [...secrets].filter((s) => s.length >= MIN_SECRET_LENGTH),
  });
  // The schema is shared by every config of these kinds (and read by redact.ts): not frozen.
  return Object.freeze({ ...frozen, schema: configSchema(ext.backendKinds) });
}

/** Reads a small regular file; null (after `fail`) when it cannot be read or is too large. */
function readSmallFile(abs: string, max: number, fail: (why: string) => void): Buffer | null {
  let fd: number | undefined;
  try {
    fd = openSync(abs, 'r');
    // Only regular files of sane size: /dev/zero or a FIFO would hang or exhaust the loader.
    const st = fstatSync(fd);
    if (st.isDirectory()) { fail(`${abs} is a folder, not a file`); return null; }
    if (!st.isFile()) { fail(`${abs} is not a regular file`); return null; }
    if (st.size > max) { fail(`${abs} is larger than ${max} bytes`); return null; }
    return readFileSync(fd);
  } catch (err) {
    fail(`${abs}: ${fileErrorText(err)}`);
    return null;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

type Ms = (path: (string | number)[], v: DurationValue | undefined, fallback: number) => number;

/** Converts a duration, reporting one that Node's timers cannot hold. */
function durationChecker(at: At): Ms {
  return (path, v, fallback) => {
    const n = durationMs(v, fallback);
    if (n > MAX_TIMER_MS) {
      at(path, `must be at most ${MAX_TIMER_MS} ms (about 24 days)`);
      return fallback;
    }
    return n;
  };
}

function compileGateway(c: Config, secrets: Set<string>, ms: Ms, baseDir: string): GatewaySpec {
  const g = c.gateway ?? {};
  let admin: GatewaySpec['admin'] = null;
  if (g.admin !== 'off') {
    const a = g.admin ?? {};
    if (a.token) secrets.add(a.token);
    admin = { host: a.host ?? DEFAULTS.adminHost, port: a.port ?? DEFAULTS.adminPort, token: a.token ? new Secret(a.token) : null };
  }
  return {
    admin,
    accessLog: g.accessLog?.format ?? DEFAULTS.accessLogFormat,
    drainTimeoutMs: ms(['gateway', 'drainTimeout'], g.drainTimeout, durationMs(DEFAULTS.drainTimeout, 0)),
    watch: g.reload?.watch ?? DEFAULTS.watch,
    state: compileState(g.state, secrets, baseDir),
  };
}

function compileState(s: GatewaySettingsConfig['state'], secrets: Set<string>, baseDir: string): StateSpec {
  if (s === undefined) return { kind: 'sqlite', path: resolve(baseDir, DEFAULTS.sqlitePath), lazy: true };
  if ('sqlite' in s) return { kind: 'sqlite', path: s.sqlite === ':memory:' ? s.sqlite : resolve(baseDir, s.sqlite), lazy: false };
  secrets.add(s.redis);
  secrets.add(s.postgres);
  return {
    kind: 'redis+postgres', redisUrl: new Secret(s.redis), postgresUrl: new Secret(s.postgres),
    prefix: s.prefix ?? DEFAULTS.redisPrefix, leases: s.leases ?? true,
  };
}

const RATE_WINDOWS: Record<string, number> = { second: 1000, minute: 60_000, hour: 3_600_000, day: 86_400_000 };

function rateSpec(text: string | undefined): RateSpec | null {
  if (text === undefined) return null;
  const [n, unit] = text.split('/');
  return { limit: Number(n), windowMs: RATE_WINDOWS[unit!]!, text };
}

/** Largest JWKS file read at load. */
const MAX_JWKS_BYTES = 1024 * 1024;

function compilePolicy(name: string, p: PolicyConfig, secrets: Set<string>, at: At, ms: Ms, baseDir: string, checks: PolicyChecks): PolicySpec | null {
  const base = ['policies', name];
  if (p.cors) return { kind: 'cors', name, cors: compileCors(p.cors, [...base, 'cors'], ms) };
  if (p.apiKey) {
    const seen = new Set<string>();
    const keys = (p.apiKey.keys ?? []).map((k, i) => {
      if (seen.has(k.key)) at([...base, 'apiKey', 'keys', i, 'key'], 'the same key is listed twice');
      seen.add(k.key);
      secrets.add(k.key);
      return { name: k.name, key: new Secret(k.key), metadata: { ...(k.metadata ?? {}) } };
    });
    const stored = p.apiKey.stored ?? DEFAULTS.apiKeyStored;
    if (keys.length === 0 && !stored) at([...base, 'apiKey'], 'accepts no key: list keys, or leave stored on');
    return { kind: 'apiKey', name, apiKey: { keys, stored } };
  }
  if (p.jwt) {
    const j = p.jwt;
    const jp = [...base, 'jwt'];
    const sources = [j.jwksUrl, j.jwksFile, j.jwks].filter((v) => v !== undefined).length;
    if (sources !== 1) at(jp, 'needs exactly one of jwksUrl, jwksFile and jwks');
    let jwks: JwtSpec['jwks'] = { inline: { keys: j.jwks?.keys ?? [] } };
    if (j.jwksUrl !== undefined) {
      let u: URL | null = null;
      try { u = new URL(j.jwksUrl); } catch { at([...jp, 'jwksUrl'], 'is not a valid URL'); }
      if (u !== null && u.protocol !== 'https:' && u.protocol !== 'http:') at([...jp, 'jwksUrl'], 'must be an http(s) URL');
      jwks = { url: j.jwksUrl };
    } else if (j.jwksFile !== undefined) {
      const file = resolve(baseDir, j.jwksFile);
      try {
        const text = readFileSync(file, 'utf8');
        if (text.length > MAX_JWKS_BYTES) throw new Error('larger than 1 MiB');
        const doc = JSON.parse(text) as unknown;
        const keys = (doc as { keys?: unknown } | null)?.keys;
        if (!Array.isArray(keys) || keys.length === 0) throw new Error('not a JWKS document (no "keys" list)');
        jwks = { inline: { keys: keys as Record<string, unknown>[] } };
      } catch (err) {
        at([...jp, 'jwksFile'], `cannot be read: ${(err as Error).message}`);
      }
    }
    return {
      kind: 'jwt', name, jwt: {
        issuer: j.issuer,
        audiences: [...j.audiences],
        scopes: [...new Set(j.scopes ?? [])],
        jwks,
        algorithms: [...(j.algorithms ?? DEFAULTS.jwtAlgorithms)],
        clockSkewSeconds: ms([...jp, 'clockSkew'], j.clockSkew, durationMs(DEFAULTS.jwtClockSkew, 0)) / 1000,
        cacheMaxAgeMs: ms([...jp, 'jwksCacheMaxAge'], j.jwksCacheMaxAge, durationMs(DEFAULTS.jwksCacheMaxAge, 0)),
        cooldownMs: ms([...jp, 'jwksCooldown'], j.jwksCooldown, durationMs(DEFAULTS.jwksCooldown, 0)),
        timeoutMs: ms([...jp, 'jwksTimeout'], j.jwksTimeout, durationMs(DEFAULTS.jwksTimeout, 0)),
      },
    };
  }
  if (p.authorize) {
    const allow = [...(p.authorize.allow ?? [])];
    const deny = [...(p.authorize.deny ?? [])];
    if (allow.length === 0 && deny.length === 0) at([...base, 'authorize'], 'has no rules: give allow or deny rules');
    for (const problem of checks.authorizeProblems(allow, deny, [...base, 'authorize'])) at([...problem.path], problem.message);
    return { kind: 'authorize', name, authorize: { allow, deny } };
  }
  if (p.rateLimit) {
    const r = p.rateLimit;
    if (r.requests === undefined && r.tokens === undefined) at([...base, 'rateLimit'], 'limits nothing: give requests or tokens');
    if (r.key !== undefined) checkKey(checks, r.key, [...base, 'rateLimit', 'key'], at, r.tokens !== undefined);
    return { kind: 'rateLimit', name, rateLimit: { key: r.key ?? null, requests: rateSpec(r.requests), tokens: rateSpec(r.tokens) } };
  }
  if (p.budget) {
    const b = p.budget;
    if (b.key !== undefined) checkKey(checks, b.key, [...base, 'budget', 'key'], at, true);
    return { kind: 'budget', name, budget: { key: b.key ?? null, usd: b.usd, period: b.period, reserveOutputTokens: b.reserveOutputTokens ?? DEFAULTS.budgetReserveOutputTokens } };
  }
  return null;
}

/** A key expression is compiled at load so that an error names its path (policy/cel.ts keeps the compiled program for where it runs). */
function checkKey(checks: PolicyChecks, source: string, path: (string | number)[], at: At, metered: boolean): void {
  const problem = checks.keyExpressionProblem(source, metered);
  if (problem !== null) at(path, problem);
}

function compileListener(l: ListenerConfig, li: number, baseDir: string, at: At, ms: Ms, backends: NonNullable<Config['backends']>): ListenerSpec {
  const lim = l.limits ?? {};
  const lp = ['listeners', li, 'limits'];
  const limits: ListenerLimits = {
    maxHeaderBytes: lim.maxHeaderBytes ?? LIMIT_DEFAULTS.maxHeaderBytes,
    maxHeaderCount: lim.maxHeaderCount ?? LIMIT_DEFAULTS.maxHeaderCount,
    maxBodyBytes: byteSize(lim.maxBodyBytes, LIMIT_DEFAULTS.maxBodyBytes),
    maxJsonDepth: lim.maxJsonDepth ?? LIMIT_DEFAULTS.maxJsonDepth,
    headersTimeoutMs: ms([...lp, 'headersTimeout'], lim.headersTimeout, LIMIT_DEFAULTS.headersTimeoutMs),
    requestTimeoutMs: ms([...lp, 'requestTimeout'], lim.requestTimeout, LIMIT_DEFAULTS.requestTimeoutMs),
    bodyIdleTimeoutMs: ms([...lp, 'bodyIdleTimeout'], lim.bodyIdleTimeout, LIMIT_DEFAULTS.bodyIdleTimeoutMs),
    keepAliveTimeoutMs: ms([...lp, 'keepAliveTimeout'], lim.keepAliveTimeout, LIMIT_DEFAULTS.keepAliveTimeoutMs),
    idleTimeoutMs: ms([...lp, 'idleTimeout'], lim.idleTimeout, LIMIT_DEFAULTS.idleTimeoutMs),
  };
  const tls = l.tls ? compileTls(l.tls, ['listeners', li, 'tls'], baseDir, at) : null;
  // The URL parser lowercases the host and drops the scheme's default port, as clients do.
  let publicOrigin: string | null = null;
  if (l.publicUrl !== undefined) {
    try {
      publicOrigin = new URL(l.publicUrl).origin;
    } catch {
      at(['listeners', li, 'publicUrl'], 'is not a valid URL');
    }
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
          // V8 repeats the pattern in its message; the path already says which one.
          const why = (err as Error).message.replace(/^Invalid regular expression: \/.*\/[a-z]*: /s, '');
          at([...base, 'headers', name, 'regex'], `invalid regular expression: ${why}`);
          return { name: lname, kind: 'present', present: true };
        }
      }
      return { name: lname, kind: 'present', present: cond.present };
    });
    const policies = [...new Set([...(l.policies ?? []), ...(r.policies ?? []), ...(backends[r.backend]?.policies ?? [])])];
    return {
      name: r.name,
      listener: l.name,
      pathPrefix,
      hosts,
      methods: m.methods ? new Set(m.methods.map((x) => x.toUpperCase())) : null,
      headers,
      backend: r.backend,
      publicOrigin,
      policies,
      stripPrefix: r.stripPrefix ?? DEFAULTS.stripPrefix,
      maxBodyBytes: byteSize(r.limits?.maxBodyBytes, limits.maxBodyBytes),
      maxJsonDepth: r.limits?.maxJsonDepth ?? limits.maxJsonDepth,
    };
  });
  const host = l.host ?? DEFAULTS.listenerHost;
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

/**
 * Reads and checks the TLS files now, so a wrong path, a non-PEM file or a key that does not
 * belong to the certificate is a config error with a position, not a failure at bind time.
 */
function compileTls(t: { cert: string; key: string }, path: (string | number)[], baseDir: string, at: At): ListenerSpec['tls'] {
  const read = (field: 'cert' | 'key'): Buffer | null => {
    const abs = resolve(baseDir, t[field]);
    const fail = (why: string) => { at([...path, field], `cannot read ${field} file "${t[field]}" (${abs}): ${why}`); return null; };
    let fd: number | undefined;
    try {
      fd = openSync(abs, 'r');
      // Only regular files of PEM size: /dev/zero or a FIFO would hang or exhaust the loader.
      const st = fstatSync(fd);
      if (st.isDirectory()) return fail('is a folder, not a file');
      if (!st.isFile()) return fail('is not a regular file');
      if (st.size > MAX_PEM_BYTES) return fail(`is larger than ${MAX_PEM_BYTES} bytes; not a PEM file`);
      return readFileSync(fd);
    } catch (err) {
      return fail(fileErrorText(err));
    } finally {
      if (fd !== undefined) closeSync(fd);
    }
  };
  const cert = read('cert');
  const key = read('key');
  if (cert === null || key === null) return { cert: cert ?? Buffer.alloc(0), key: key ?? Buffer.alloc(0) };
  let x509: X509Certificate | null = null;
  let privateKey: KeyObject | null = null;
  try {
    x509 = new X509Certificate(cert);
  } catch {
    at([...path, 'cert'], `"${t.cert}" is not a PEM certificate`);
  }
  try {
    privateKey = createPrivateKey(key);
  } catch {
    at([...path, 'key'], `"${t.key}" is not an unencrypted PEM private key`);
  }
  if (x509 && privateKey && !x509.checkPrivateKey(privateKey)) at([...path, 'key'], `"${t.key}" does not match the certificate in "${t.cert}"`);
  return { cert, key };
}

function compileCors(p: CorsPolicyConfig, path: (string | number)[], ms: Ms): CorsSpec {
  return {
    origins: p.allowOrigins.map((o) => {
      if (o === '*') return { any: true as const };
      const m = /^(https?):\/\/\*(\..+)$/.exec(o);
      if (m) return { scheme: m[1]!, suffix: m[2]!.toLowerCase() };
      return { exact: o.toLowerCase().replace(/\/$/, '') };
    }),
    allowMethods: (p.allowMethods ?? DEFAULTS.corsMethods).map((m) => m.toUpperCase()).join(', '),
    allowHeaders: p.allowHeaders ? p.allowHeaders.join(', ') : null,
    exposeHeaders: p.exposeHeaders ? p.exposeHeaders.join(', ') : null,
    allowCredentials: p.allowCredentials ?? DEFAULTS.allowCredentials,
    maxAgeSeconds: p.maxAge === undefined ? null : Math.floor(ms([...path, 'maxAge'], p.maxAge, 0) / 1000),
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
