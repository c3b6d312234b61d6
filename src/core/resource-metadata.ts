// OAuth 2.0 Protected Resource Metadata (RFC 9728) for routes that are protected resources:
// a route whose backend handler offers `resourceMetadata` and whose policies verify tokens
// from an authorization server (a jwt policy: its issuer). Protocol-neutral: the resource is
// the route, identified by its canonical URL — the scheme of the listener, the Host the
// client addressed, and the route's path prefix — and its metadata document is served at
// the well-known URI formed from that URL (RFC 9728 §3: `/.well-known/oauth-protected-resource`
// inserted between the host and the path), outside the route's prefix. The pipeline
// answers it (pipeline.ts `routeRequest`); the authenticate filter names it in its 401
// challenge (`resource_metadata`, RFC 9728 §5.1).
//
// The scheme is the listener's own (TLS or not): `x-forwarded-proto` is a client-supplied
// header and is not trusted. Behind a proxy that terminates TLS (or serves another host),
// the listener's `publicUrl` names the origin instead. The Host header must be a plain authority (name or IP
// literal, optional port); the default port of the scheme is dropped, as clients drop it
// from the URL they derive the resource from.
import type { RouteSpec } from '../config/index.js';
import type { RequestContext } from './context.js';

/** RFC 9728 §3: the well-known path suffix of protected resource metadata. */
export const PROTECTED_RESOURCE_WELL_KNOWN = '/.well-known/oauth-protected-resource';

/** How long clients and caches may keep a metadata document, in seconds. */
export const RESOURCE_METADATA_MAX_AGE_S = 60;

/** What a route's authentication policies make of it as an OAuth protected resource. */
export interface ProtectedResource {
  /** The issuers whose tokens the route accepts: RFC 9728 `authorization_servers`. */
  readonly authorizationServers: readonly string[];
  /** The scopes its jwt policies require: RFC 9728 `scopes_supported` (omitted when none). */
  readonly scopes: readonly string[];
}

/** A Host header value that is a plain authority: a DNS name or IPv4 address, or a bracketed IPv6 literal; optional port. */
const AUTHORITY = /^(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*|\[[0-9a-f:.]+\])(?::([0-9]{1,5}))?$/;

/** `scheme://authority` of the request as its client addressed it, or null when its Host is missing or not a plain authority. */
export function requestOrigin(ctx: RequestContext): string | null {
  const raw = ctx.req.headers.host;
  if (typeof raw !== 'string') return null;
  let host = raw.toLowerCase();
  const m = AUTHORITY.exec(host);
  if (m === null) return null;
  const scheme = ctx.secure ? 'https' : 'http';
  const port = m[1];
  if (port !== undefined && port === (ctx.secure ? '443' : '80')) host = host.slice(0, host.length - port.length - 1);
  return `${scheme}://${host}`;
}

/** The path a route's resource identifier ends with: its prefix ('' for a route at `/` or with no path condition). */
export function resourcePath(route: RouteSpec): string {
  return route.pathPrefix ?? '';
}

/** A prefix that can go into a URL and a quoted header parameter as it is (RFC 3986 path characters, no percent-encoding). */
const URL_PATH = /^[A-Za-z0-9\-._~!$&'()*+,;=:@/]*$/;

/** The origin a route is reached at: its listener's publicUrl, else the request's own (null: its Host cannot name one). */
export function routeOrigin(ctx: RequestContext, route: RouteSpec): string | null {
  return route.publicOrigin ?? requestOrigin(ctx);
}

/** The route's resource identifier for this request (`https://host/mcp`), or null when the request's Host (or the prefix) cannot name it. */
export function resourceIdentifier(ctx: RequestContext, route: RouteSpec): string | null {
  const origin = routeOrigin(ctx, route);
  const path = resourcePath(route);
  return origin === null || !URL_PATH.test(path) ? null : origin + path;
}

/** Where the route's metadata document is (`https://host/.well-known/oauth-protected-resource/mcp`), or null as above. */
export function resourceMetadataUrl(ctx: RequestContext, route: RouteSpec): string | null {
  const origin = routeOrigin(ctx, route);
  const path = resourcePath(route);
  return origin === null || !URL_PATH.test(path) ? null : origin + PROTECTED_RESOURCE_WELL_KNOWN + path;
}

/**
 * The RFC 9728 document of a route: `resource` (the route's URL), `authorization_servers`
 * (the issuers its jwt policies accept), `bearer_methods_supported` (`header`: the
 * authenticate filter reads tokens from `Authorization: Bearer` only), then whatever the
 * backend adds (`resource_name`, …), which cannot replace those three.
 */
export function resourceMetadataDocument(resource: string, pr: ProtectedResource, extra: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const doc: Record<string, unknown> = {
    resource,
    authorization_servers: [...pr.authorizationServers],
    ...(pr.scopes.length > 0 && { scopes_supported: [...pr.scopes] }),
    bearer_methods_supported: ['header'],
  };
  for (const [k, v] of Object.entries(extra)) if (!(k in doc) && v !== undefined) doc[k] = v;
  return doc;
}

/** Answers a request for the metadata document: GET/HEAD the JSON, OPTIONS a CORS preflight (the document is public). */
export function writeResourceMetadata(ctx: RequestContext, doc: Record<string, unknown>): void {
  const res = ctx.res;
  const cors = { 'access-control-allow-origin': '*', 'x-request-id': ctx.id };
  if (ctx.method === 'OPTIONS') {
    const asked = ctx.req.headers['access-control-request-headers'];
    res.writeHead(204, {
      ...cors,
      'access-control-allow-methods': 'GET, HEAD, OPTIONS',
      ...(typeof asked === 'string' && /^[A-Za-z0-9!#$%&'*+.^_`|~, -]{1,1024}$/.test(asked) && { 'access-control-allow-headers': asked }),
      'access-control-max-age': String(RESOURCE_METADATA_MAX_AGE_S),
    });
    ctx.observer.firstByte?.(ctx);
    res.end();
    return;
  }
  const body = JSON.stringify(doc);
  res.writeHead(200, {
    ...cors,
    'content-type': 'application/json',
    'cache-control': `public, max-age=${RESOURCE_METADATA_MAX_AGE_S}`,
    'content-length': String(Buffer.byteLength(body)),
  });
  ctx.observer.firstByte?.(ctx);
  if (ctx.method === 'HEAD') res.end();
  else res.end(body);
}
