// Checks the schema cannot express: names that must be unique, references that must
// resolve, ports that must not collide. Each issue names the path it is about.
import type { Config } from './schema.js';
import type { BackendKindConfig, PathIssue, Segment } from './kind.js';
import { nearest } from './errors.js';

export type SemanticIssue = PathIssue;

export function semanticIssues(config: Config, kinds: readonly BackendKindConfig[]): SemanticIssue[] {
  const issues: SemanticIssue[] = [];
  const backends = new Set(Object.keys(config.backends ?? {}));
  const policies = new Set(Object.keys(config.policies ?? {}));
  const listenerNames = new Map<string, number>();
  const ports = new Map<number, number>();

  const checkPolicies = (refs: readonly string[] | undefined, path: Segment[]) => {
    refs?.forEach((ref, i) => {
      if (!policies.has(ref)) issues.push({ path: [...path, i], message: `unknown policy "${ref}"${suggest(ref, policies, 'policies')}` });
    });
  };

  config.listeners.forEach((l, li) => {
    const prev = listenerNames.get(l.name);
    if (prev !== undefined) issues.push({ path: ['listeners', li, 'name'], message: `duplicate listener name "${l.name}" (also listeners[${prev}])` });
    else listenerNames.set(l.name, li);
    if (l.port !== 0) {
      const other = ports.get(l.port);
      if (other !== undefined) issues.push({ path: ['listeners', li, 'port'], message: `port ${l.port} is already used by listeners[${other}]` });
      else ports.set(l.port, li);
    }
    checkPolicies(l.policies, ['listeners', li, 'policies']);
    const routeNames = new Map<string, number>();
    l.routes.forEach((r, ri) => {
      const base = ['listeners', li, 'routes', ri];
      const dup = routeNames.get(r.name);
      if (dup !== undefined) issues.push({ path: [...base, 'name'], message: `duplicate route name "${r.name}" in listener "${l.name}" (also routes[${dup}])` });
      else routeNames.set(r.name, ri);
      if (!backends.has(r.backend)) issues.push({ path: [...base, 'backend'], message: `unknown backend "${r.backend}"${suggest(r.backend, backends, 'backends')}` });
      checkPolicies(r.policies, [...base, 'policies']);
    });
  });

  for (const [name, b] of Object.entries(config.backends ?? {})) {
    const set = kinds.filter((k) => b[k.key] !== undefined);
    if (set.length !== 1) issues.push({ path: ['backends', name], message: `must set exactly one of: ${kinds.map((k) => k.key).join(', ')}` });
    checkPolicies(b.policies, ['backends', name, 'policies']);
    for (const k of set) issues.push(...(k.semanticIssues?.(b[k.key], ['backends', name, k.key]) ?? []));
  }

  for (const [name, p] of Object.entries(config.policies ?? {})) {
    // Echoing any origin with credentials allowed would let every site act as the user.
    if (p.cors?.allowCredentials && p.cors.allowOrigins.includes('*')) {
      issues.push({ path: ['policies', name, 'cors', 'allowCredentials'], message: 'allowCredentials cannot be combined with allowOrigins "*"; list the origins' });
    }
  }

  const admin = config.gateway?.admin;
  if (admin !== undefined && admin !== 'off') {
    const port = admin.port ?? 15000;
    const clash = port !== 0 ? ports.get(port) : undefined;
    if (clash !== undefined) issues.push({ path: ['gateway', 'admin', 'port'], message: `port ${port} is already used by listeners[${clash}]` });
  } else if (admin === undefined && ports.has(15000)) {
    issues.push({ path: ['listeners', ports.get(15000)!, 'port'], message: 'port 15000 is the admin port by default; move the admin (gateway.admin.port) or this listener' });
  }
  return issues;
}

/** The end of an "unknown <thing>" message: the nearest defined name, or the defined names. */
export function suggest(word: string, names: ReadonlySet<string>, kind: string): string {
  if (names.size === 0) return `; no ${kind} are defined`;
  const hint = nearest(word, names);
  return hint ? `; did you mean "${hint}"?` : `; defined: ${[...names].join(', ')}`;
}
