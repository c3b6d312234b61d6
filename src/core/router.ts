// Route matching: first match in file order wins. A route's conditions are all ANDed:
// path prefix on segment boundaries, host (exact or "*.suffix"), method and headers.
import type { IncomingHttpHeaders } from 'node:http';
import type { HostPattern, RouteSpec } from '../config/index.js';

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
  return routeMatchesAnyMethod(r, req, true);
}

/** The route's conditions but its methods (the path too unless `pathChecked`). */
export function routeMatchesAnyMethod(r: RouteSpec, req: RouteRequest, pathChecked = false): boolean {
  if (!pathChecked && r.pathPrefix !== null && !matchPathPrefix(r.pathPrefix, req.path)) return false;
  if (r.hosts !== null && !hostMatches(r.hosts, req.host)) return false;
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

/** Exact, or "*.suffix" for any subdomain (never the bare suffix itself). */
function hostMatches(patterns: readonly HostPattern[], host: string): boolean {
  for (const h of patterns) {
    if (h.exact !== undefined ? h.exact === host : host.length > h.suffix!.length && host.endsWith(h.suffix!)) return true;
  }
  return false;
}

export function findRoute<R extends { spec: RouteSpec }>(routes: readonly R[], req: RouteRequest): R | null {
  for (const r of routes) if (routeMatches(r.spec, req)) return r;
  return null;
}

/**
 * Host header without the port, lower-cased; IPv6 literals keep their brackets. A
 * trailing dot ("api.example.com.", the same name in DNS) is dropped, so it cannot
 * steer a request past a host route.
 */
export function hostOf(hostHeader: string | undefined): string {
  if (!hostHeader) return '';
  const h = hostHeader.toLowerCase();
  if (h.charCodeAt(0) === 91 /* [ */) {
    const end = h.indexOf(']');
    return end === -1 ? h : h.slice(0, end + 1);
  }
  const colon = h.indexOf(':');
  const name = colon === -1 ? h : h.slice(0, colon);
  return name.length > 1 && name.charCodeAt(name.length - 1) === 46 /* . */ ? name.slice(0, -1) : name;
}
