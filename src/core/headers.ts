// Header hygiene between downstream and upstream (RELIABILITY 25). Hop-by-hop headers,
// proxy-* headers and any header a peer lists in Connection stop here, in both
// directions. So do the headers that carried the gateway credential the caller
// authenticated with (RELIABILITY 26): every backend kind passes `ctx.credentialHeaders`
// as `withheld` (or drops all credential headers, as the llm backend does). Headers the
// gateway sets (Host, x-forwarded-*, x-request-id, credentials added by later issues) are
// set after the strip, so a client cannot use Connection: to remove them. Client-sent
// forwarding headers are dropped and replaced, never trusted; `Forwarded` is dropped and
// not re-emitted (x-forwarded-* carry the same facts).
//
// This runs twice per request, so it avoids regexes and builds at most one small array
// for the Connection list (none for the usual bare "keep-alive").
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';

/** RFC 9110 §7.6.1 connection-specific fields, plus http2-settings. proxy-* is matched by prefix. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'http2-settings']);

/**
 * Request headers the gateway never forwards as sent: hop-by-hop ones; forwarding and
 * identity headers it sets itself; `expect` (Node already answered 100-continue, and
 * undici refuses to send it); `proxy` (httpoxy).
 */
const REQUEST_DROP = new Set([
  ...HOP_BY_HOP, 'host', 'x-request-id', 'expect', 'proxy',
  'forwarded', 'x-forwarded-for', 'x-forwarded-host', 'x-forwarded-proto', 'x-forwarded-port', 'x-real-ip',
]);

function isProxyHeader(name: string): boolean {
  return name.length > 6 && name.charCodeAt(5) === 45 /* - */ && name.startsWith('proxy-');
}

/** Extra names a peer listed in Connection; null for none (the usual "keep-alive"/"close"). */
function connectionListed(value: string | string[] | undefined): string[] | null {
  if (value === undefined) return null;
  const s = typeof value === 'string' ? value : value.join(',');
  if (s.indexOf(',') === -1) {
    const t = s.trim().toLowerCase();
    return t === '' || t === 'close' || HOP_BY_HOP.has(t) ? null : [t];
  }
  let out: string[] | null = null;
  for (const part of s.split(',')) {
    const t = part.trim().toLowerCase();
    if (t !== '' && t !== 'close' && !HOP_BY_HOP.has(t)) (out ??= []).push(t);
  }
  return out;
}

export interface ForwardInfo {
  clientAddress: string;
  proto: 'http' | 'https';
  host: string | undefined;
  requestId: string;
  /** Host header to send upstream. */
  upstreamHost: string;
  /**
   * Request headers withheld besides the usual ones: those that carried the gateway
   * credential the caller authenticated with (`ctx.credentialHeaders`), unless the backend
   * forwards it on purpose.
   */
  withheld?: readonly string[];
}

/** The set of request headers never forwarded, plus `more` (lower-case names): for `strippedRequestHeaders`. */
export function requestDropSet(more: readonly string[]): ReadonlySet<string> {
  return new Set([...REQUEST_DROP, ...more]);
}

const NO_NAMES: readonly string[] = [];

/**
 * The downstream request headers minus hop-by-hop and proxy-* ones, those the peer listed
 * in Connection, those in `drop` (REQUEST_DROP or a superset from `requestDropSet`) and
 * those in `extra`.
 */
export function strippedRequestHeaders(incoming: IncomingHttpHeaders, drop: ReadonlySet<string> = REQUEST_DROP, extra: readonly string[] = NO_NAMES): Record<string, string | string[]> {
  const listed = connectionListed(incoming.connection);
  const out: Record<string, string | string[]> = {};
  for (const name in incoming) {
    if (drop.has(name) || isProxyHeader(name) || (listed !== null && listed.includes(name)) || (extra.length > 0 && extra.includes(name))) continue;
    const v = incoming[name];
    if (v !== undefined) out[name] = v;
  }
  return out;
}

/** Builds the upstream request headers from the downstream ones. */
export function upstreamRequestHeaders(incoming: IncomingHttpHeaders, info: ForwardInfo): Record<string, string | string[]> {
  const out = strippedRequestHeaders(incoming, REQUEST_DROP, info.withheld ?? NO_NAMES);
  // Set after the strip: nothing the client sent can remove these.
  out.host = info.upstreamHost;
  out['x-forwarded-for'] = info.clientAddress;
  out['x-forwarded-proto'] = info.proto;
  if (info.host !== undefined) out['x-forwarded-host'] = info.host;
  out['x-request-id'] = info.requestId;
  return out;
}

/** Response headers from upstream, minus hop-by-hop ones, ready for writeHead. */
export function downstreamResponseHeaders(incoming: Record<string, string | string[] | undefined>): OutgoingHttpHeaders {
  const listed = connectionListed(incoming.connection);
  const out: OutgoingHttpHeaders = {};
  for (const name in incoming) {
    if (HOP_BY_HOP.has(name) || isProxyHeader(name) || (listed !== null && listed.includes(name))) continue;
    const v = incoming[name];
    if (v !== undefined) out[name] = v;
  }
  return out;
}

/** True when a value would split a header line (CR, LF or NUL). */
export function unsafeHeaderValue(v: string): boolean {
  return /[\r\n\0]/.test(v);
}
