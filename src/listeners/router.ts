// Route matching: first match in file order wins. A route's conditions are all ANDed:
// path prefix on segment boundaries, host (exact or "*.suffix"), method and headers.
import type { IncomingHttpHeaders } from 'node:http';
import type { RouteSpec } from '../config/index.js';

export interface RouteRequest {
  method: string;
  /** Host without port, lower-case. */
  host: string;
  /** Normalised path. */
  path: string;
  headers: IncomingHttpHeaders;
}

export function matchPathPrefix(prefix: string, path: string): boolean {
  if (prefix === '') return true;
  if (!path.startsWith(prefix)) return false;
  return path.length === prefix.length || path.charCodeAt(prefix.length) === 47 /* / */;
}

export function routeMatches(r: RouteSpec, req: RouteRequest): boolean {
  if (r.pathPrefix !== null && !matchPathPrefix(r.pathPrefix, req.path)) return false;
  if (r.methods !== null && !r.methods.has(req.method)) return false;
  if (r.hosts !== null && !r.hosts.some((h) => (h.exact !== undefined ? h.exact === req.host : req.host.endsWith(h.suffix!) && req.host.length > h.suffix!.length))) return false;
  if (r.headers !== null) {
    for (const c of r.headers) {
      const raw = req.headers[c.name];
      const v = Array.isArray(raw) ? raw.join(', ') : raw;
      if (c.kind === 'present') { if ((v !== undefined) !== c.present) return false; }
      else if (v === undefined) return false;
      else if (c.kind === 'exact' ? v !== c.value : !c.regex.test(v)) return false;
    }
  }
  return true;
}

export function findRoute<R extends { spec: RouteSpec }>(routes: readonly R[], req: RouteRequest): R | null {
  for (const r of routes) if (routeMatches(r.spec, req)) return r;
  return null;
}

/** Host header without the port, lower-cased; IPv6 literals keep their brackets. */
export function hostOf(hostHeader: string | undefined): string {
  if (!hostHeader) return '';
  const h = hostHeader.toLowerCase();
  if (h.startsWith('[')) {
    const end = h.indexOf(']');
    return end === -1 ? h : h.slice(0, end + 1);
  }
  const colon = h.indexOf(':');
  return colon === -1 ? h : h.slice(0, colon);
}
