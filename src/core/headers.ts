// Header hygiene between downstream and upstream (RELIABILITY 25). Hop-by-hop headers,
// and any header the client lists in Connection, stop here. Headers the gateway sets
// (x-forwarded-*, x-request-id, credentials added by later issues) are set after the
// strip, so a client cannot use Connection: to remove them. Client-sent forwarding
// headers are replaced, never trusted.
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';

const HOP_BY_HOP = new Set([
  'connection', 'keep-alive', 'proxy-connection', 'proxy-authenticate', 'proxy-authorization',
  'te', 'trailer', 'transfer-encoding', 'upgrade', 'http2-settings',
]);
const FORWARDING = new Set(['forwarded', 'x-forwarded-for', 'x-forwarded-host', 'x-forwarded-proto', 'x-forwarded-port', 'x-real-ip']);

function connectionListed(connection: string | string[] | undefined): Set<string> | null {
  if (connection === undefined) return null;
  const s = new Set<string>();
  for (const part of (Array.isArray(connection) ? connection.join(',') : connection).split(',')) {
    const t = part.trim().toLowerCase();
    if (t) s.add(t);
  }
  return s;
}

export interface ForwardInfo {
  clientAddress: string;
  proto: 'http' | 'https';
  host: string | undefined;
  requestId: string;
  /** Host header to send upstream. */
  upstreamHost: string;
  /** Keep `upgrade`/`connection` for a WebSocket handshake. */
  upgrade?: string | undefined;
}

/** Builds the upstream request headers from the downstream ones. */
export function upstreamRequestHeaders(incoming: IncomingHttpHeaders, info: ForwardInfo): Record<string, string | string[]> {
  const listed = connectionListed(incoming.connection);
  const out: Record<string, string | string[]> = {};
  for (const name in incoming) {
    if (HOP_BY_HOP.has(name) || FORWARDING.has(name) || name === 'host' || name === 'x-request-id') continue;
    if (listed?.has(name)) continue;
    const v = incoming[name];
    if (v !== undefined) out[name] = v;
  }
  out.host = info.upstreamHost;
  out['x-forwarded-for'] = info.clientAddress;
  out['x-forwarded-proto'] = info.proto;
  if (info.host !== undefined) out['x-forwarded-host'] = info.host;
  out['x-request-id'] = info.requestId;
  if (info.upgrade !== undefined) {
    out.connection = 'upgrade';
    out.upgrade = info.upgrade;
  }
  return out;
}

/** Response headers from upstream, minus hop-by-hop ones, ready for writeHead. */
export function downstreamResponseHeaders(incoming: Record<string, string | string[] | undefined>): OutgoingHttpHeaders {
  const listed = connectionListed(incoming.connection);
  const out: OutgoingHttpHeaders = {};
  for (const name in incoming) {
    if (HOP_BY_HOP.has(name) || listed?.has(name)) continue;
    const v = incoming[name];
    if (v !== undefined) out[name] = v;
  }
  return out;
}

/** True when a value would split a header line (CR, LF or NUL). */
export function unsafeHeaderValue(v: string): boolean {
  return /[\r\n\0]/.test(v);
}
