// The CORS filter. A request without Origin passes untouched (not a browser). A
// preflight (OPTIONS with Access-Control-Request-Method) from an allowed origin is
// answered here with 204 and never reaches the upstream; from any other origin it is
// refused. A simple request from a disallowed origin is refused with 403, so a browser
// cannot even cause side effects upstream.
import type { CorsSpec } from '../config/index.js';
import type { RequestContext } from './context.js';
import { CONTINUE, reject, type Decision, type Filter } from './lifecycle.js';

export function corsFilter(name: string, spec: CorsSpec): Filter {
  const anyOrigin = spec.origins.some((o) => o.any);
  const allowed = (origin: string): boolean => {
    const o = origin.toLowerCase();
    return spec.origins.some((p) => {
      if (p.any) return true;
      if (p.exact !== undefined) return p.exact === o;
      if (!o.startsWith(`${p.scheme}://`)) return false;
      const host = o.slice(p.scheme!.length + 3);
      return host.endsWith(p.suffix!) && host.length > p.suffix!.length;
    });
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
          'vary': 'Origin, Access-Control-Request-Method, Access-Control-Request-Headers',
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
