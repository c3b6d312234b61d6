// Compiles `backends.<name>.mcp` into McpBackendSpec (defaults applied, paths resolved
// against the config's folder, secrets registered), and the checks the schema cannot
// express: unique server names, exactly one of `command` and `url`, keys that belong to
// the other transport.
import { createHash } from 'node:crypto';
import { isAbsolute, resolve } from 'node:path';
import { durationMs, type CompileHelpers, type PathIssue, type Segment } from '../config/index.js';
import type { McpBackendConfig, McpServerConfig } from './config-schema.js';
import { MCP_DEFAULTS, type McpBackendSpec, type McpServerSpec } from './spec.js';

const STDIO_ONLY = ['args', 'env', 'cwd', 'idleTimeout'] as const;
const HTTP_ONLY = ['transport', 'headers', 'bearer'] as const;

/** Issues of `backends.<name>.mcp`, at paths under `path`. */
export function mcpBackendIssues(b: McpBackendConfig, path: readonly Segment[]): PathIssue[] {
  const issues: PathIssue[] = [];
  if (b.namespace === false && b.servers.length !== 1) {
    issues.push({ path: [...path, 'namespace'], message: `namespace: false serves one server unprefixed; this backend has ${b.servers.length}` });
  }
  const seen = new Map<string, number>();
  b.servers.forEach((s, i) => {
    const at = [...path, 'servers', i];
    const dup = seen.get(s.name);
    if (dup !== undefined) issues.push({ path: [...at, 'name'], message: `duplicate server name "${s.name}" (also servers[${dup}])` });
    else seen.set(s.name, i);
    if ((s.command === undefined) === (s.url === undefined)) {
      issues.push({ path: at, message: 'give exactly one of command (a stdio server) and url (an HTTP server)' });
      return;
    }
    const wrong = s.command !== undefined ? HTTP_ONLY : STDIO_ONLY;
    for (const k of wrong) {
      if (s[k] !== undefined) issues.push({ path: [...at, k], message: `${k} is for ${s.command !== undefined ? 'HTTP servers (url)' : 'stdio servers (command)'} only` });
    }
    if (s.pin === false && (s.approved?.length ?? 0) > 0) {
      issues.push({ path: [...at, 'approved'], message: 'approved fingerprints have no effect with pin: false' });
    }
    if (s.bearer !== undefined && Object.keys(s.headers ?? {}).some((h) => h.toLowerCase() === 'authorization')) {
      issues.push({ path: [...at, 'bearer'], message: 'bearer and headers.Authorization both set the Authorization header: give one' });
    }
  });
  return issues;
}

/** Compiles `backends.<name>.mcp`. */
export function compileMcpBackend(b: McpBackendConfig, name: string, h: CompileHelpers): McpBackendSpec {
  const { ms } = h;
  const base = ['backends', name, 'mcp'];
  const keyHash = createHash('sha256');
  const servers = b.servers.map((s, i) => compileServer(s, [...base, 'servers', i], h));
  for (const s of servers) keyHash.update(JSON.stringify(s)).update('\0');
  const spec = {
    kind: 'mcp' as const,
    name,
    servers,
    toolset: b.toolset ?? 'all',
    namespace: b.namespace ?? true,
    allowedHosts: b.allowedHosts === undefined ? null : b.allowedHosts.map((h) => h.toLowerCase()),
    sessionTtlMs: ms([...base, 'sessionTtl'], b.sessionTtl, durationMs(MCP_DEFAULTS.sessionTtl, 0)),
    maxSessions: b.maxSessions ?? MCP_DEFAULTS.maxSessions,
    key: '',
  };
  keyHash.update(JSON.stringify([spec.toolset, spec.namespace, spec.allowedHosts]));
  spec.key = `mcp:${keyHash.update(String(spec.sessionTtlMs)).update(String(spec.maxSessions)).digest('hex')}`;
  return spec;
}

function compileServer(s: McpServerConfig, path: readonly Segment[], h: CompileHelpers): McpServerSpec {
  const { ms } = h;
  const common = {
    name: s.name,
    tools: { include: s.tools?.include ?? [], exclude: s.tools?.exclude ?? [] },
    connectTimeoutMs: ms([...path, 'timeouts', 'connect'], s.timeouts?.connect, durationMs(MCP_DEFAULTS.connectTimeout, 0)),
    callTimeoutMs: ms([...path, 'timeouts', 'call'], s.timeouts?.call, durationMs(MCP_DEFAULTS.callTimeout, 0)),
    pin: s.pin ?? true,
    approved: s.approved ?? [],
  };
  if (s.url !== undefined) {
    const headers: Record<string, string> = { ...s.headers };
    if (s.bearer !== undefined) headers.Authorization = `Bearer ${s.bearer}`;
    for (const v of Object.values(headers)) h.secret(v);
    if (s.bearer !== undefined) h.secret(s.bearer);
    let u: URL | null = null;
    try {
      u = new URL(s.url);
    } catch {
      h.at([...path, 'url'], 'is not a valid URL');
    }
    if (u !== null && (u.username || u.password)) h.at([...path, 'url'], 'credentials in the URL are not allowed; use bearer or headers');
    if (u !== null && u.hash) h.at([...path, 'url'], 'the URL must not have a fragment');
    return { ...common, transport: s.transport ?? 'streamable-http', url: s.url, headers };
  }
  const env = { ...s.env };
  for (const v of Object.values(env)) h.secret(v);
  const command = s.command!;
  return {
    ...common,
    transport: 'stdio',
    // A bare name is looked up on PATH; a path with a slash is the config's own file.
    command: command.includes('/') && !isAbsolute(command) ? resolve(h.baseDir, command) : command,
    args: s.args ?? [],
    env,
    cwd: s.cwd === undefined ? h.baseDir : resolve(h.baseDir, s.cwd),
    idleTimeoutMs: ms([...path, 'idleTimeout'], s.idleTimeout, durationMs(MCP_DEFAULTS.idleTimeout, 0)),
    restartBackoffMs: durationMs(MCP_DEFAULTS.restartBackoff, 0),
    maxRestartBackoffMs: durationMs(MCP_DEFAULTS.maxRestartBackoff, 0),
  };
}
