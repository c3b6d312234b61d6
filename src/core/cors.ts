// The CORS filter. A request without Origin passes untouched (not a browser). A
// preflight (OPTIONS with Access-Control-Request-Method) from an allowed origin is
// answered here with 204 and never reaches the upstream; from any other origin it is
// refused. A simple request from a disallowed origin is refused with 403, so a browser
// cannot even cause side effects upstream.
// Allowed origins are split once into a set of exact origins and a list of wildcard
// patterns, so a request costs one lower-casing and a Set lookup in the common case.
import type { CorsSpec } from '../config/index.js';
import type { RequestContext } from './context.js';
import { CONTINUE, reject, type Decision, type Filter } from './lifecycle.js';

interface WildcardOrigin {
  /** "https://" */
  readonly prefix: string;
  /** ".example.com" */
  readonly suffix: string;
}

/** Letters, digits, "-" and "." only: an origin's subdomain part can hide no port, path or userinfo. */
const SUBDOMAIN = /^[a-z0-9](?:[a-z0-9.-]*[a-z0-9])?$/;
const PREFLIGHT_VARY = 'Origin, Access-Control-Request-Method, Access-Control-Request-Headers';

export function corsFilter(name: string, spec: CorsSpec): Filter {
  const anyOrigin = spec.origins.some((o) => o.any);
  const exact = new Set<string>();
  const wildcards: WildcardOrigin[] = [];
  for (const o of spec.origins) {
    if (o.exact !== undefined) exact.add(o.exact);
    else if (o.suffix !== undefined) wildcards.push({ prefix: `${o.scheme!}://`, suffix: o.suffix });
  }
  const allowed = (origin: string): boolean => {
    if (anyOrigin) return true;
    const o = origin.toLowerCase();
    if (exact.has(o)) return true;
    for (const w of wildcards) {
      if (o.length > w.prefix.length + w.suffix.length && o.startsWith(w.prefix) && o.endsWith(w.suffix)
        && SUBDOMAIN.test(o.slice(w.prefix.length, o.length - w.suffix.length))) return true;
    }
    return false;
  };
  return {
    name: `cors:${name}`,
    phase: 'cors',
    run(ctx: RequestContext): Decision {
      const origin = ctx.req.headers.origin;
      if (origin === undefined) return CONTINUE;
      if (!allowed(origin)) return reject('AE_CORS_REJECTED');
      const allowOrigin = anyOrigin && !spec.allowCredentials ? '*' : origin;
      const isPreflight = ctx.method === 'OPTIONS' && ctx.req.headers['access-control-request-method'] !== undefined;
      if (isPreflight) {
        const headers: Record<string, string> = {
          'access-control-allow-origin': allowOrigin,
          'access-control-allow-methods': spec.allowMethods,
          'vary': PREFLIGHT_VARY,
        };
        const reqHeaders = ctx.req.headers['access-control-request-headers'];
        const allowHeaders = spec.allowHeaders ?? (typeof reqHeaders === 'string' ? reqHeaders : null);
        if (allowHeaders) headers['access-control-allow-headers'] = allowHeaders;
        if (spec.allowCredentials) headers['access-control-allow-credentials'] = 'true';
        if (spec.maxAgeSeconds !== null) headers['access-control-max-age'] = String(spec.maxAgeSeconds);
        return { kind: 'respond', status: 204, headers };
      }
      ctx.addResponseHeader('access-control-allow-origin', allowOrigin);
      if (allowOrigin !== '*') ctx.addResponseHeader('vary', 'Origin');
      if (spec.allowCredentials) ctx.addResponseHeader('access-control-allow-credentials', 'true');
      if (spec.exposeHeaders) ctx.addResponseHeader('access-control-expose-headers', spec.exposeHeaders);
      return CONTINUE;
    },
  };
}
