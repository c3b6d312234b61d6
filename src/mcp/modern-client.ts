// The 2026-07-28 revision on the gateway's upstream side, for servers that speak only it:
// how the gateway tells such a server from an older one (its answer to `initialize`), the
// envelope every request carries (`params._meta`: version, client capabilities and info,
// log level), the headers Streamable HTTP mirrors from the body (`Mcp-Method`, `Mcp-Name`,
// and `Mcp-Param-*` from a tool's `x-mcp-header` annotations), and the result fields older
// clients do not know. The connection (upstream.ts) uses these; modern.ts is the same
// revision on the client-facing side.
import { isObject, RpcError } from './jsonrpc.js';
import { META_CAPABILITIES, META_CLIENT_INFO, META_LOG_LEVEL, META_SERVER_INFO, META_VERSION, MODERN_RPC, MODERN_VERSION, NAMED } from './modern.js';


/**
 * True when an answer to `initialize` says the server speaks 2026-07-28 and not the older
 * revisions: the revision's UnsupportedProtocolVersionError (-32022) naming it among the
 * supported ones, or its HeaderMismatch (-32020). Any other failure is an older server's (or
 * a broken one's) and is reported as it is.
 */
export function modernOnly(err: unknown): boolean {
  if (!(err instanceof RpcError)) return false;
  // Only the revision knows HeaderMismatch: a server that checks headers before the method.
  if (err.code === MODERN_RPC.HEADER_MISMATCH) return true;
  if (err.code !== MODERN_RPC.UNSUPPORTED_VERSION) return false;
  const supported = isObject(err.data) ? err.data.supported : undefined;
  return Array.isArray(supported) && supported.includes(MODERN_VERSION);
}

/** A request's params with the revision's envelope in `_meta` (the caller's other `_meta` keys kept). */
export function envelope(
  params: Record<string, unknown> | undefined,
  capabilities: Record<string, unknown>,
  clientInfo: object,
  logLevel: string | null,
): Record<string, unknown> {
  const meta: Record<string, unknown> = isObject(params?._meta) ? { ...params._meta } : {};
  meta[META_VERSION] = MODERN_VERSION;
  meta[META_CAPABILITIES] = capabilities;
  meta[META_CLIENT_INFO] = clientInfo;
  if (logLevel !== null) meta[META_LOG_LEVEL] = logLevel;
  return { ...params, _meta: meta };
}

/**
 * The headers a Streamable HTTP request of the revision carries: the version, the method,
 * the called name or URI, and a tool's annotated arguments (`paramHeaders`).
 */
export function standardHeaders(method: string, params: Record<string, unknown> | undefined): Record<string, string> {
  const headers: Record<string, string> = { 'mcp-protocol-version': MODERN_VERSION, 'mcp-method': method };
  const named = NAMED[method];
  const value = named === undefined ? undefined : params?.[named];
  if (typeof value === 'string') headers['mcp-name'] = headerValue(value);
  return headers;
}

/**
 * A value as a header carries it: as it is when it is visible ASCII (spaces inside), else
 * `=?base64?<UTF-8 in base64>?=` — also for a plain value that looks like that form.
 */
export function headerValue(v: string): string {
  const plain = /^[\x21-\x7e]([\x20-\x7e]*[\x21-\x7e])?$/.test(v) && !(v.startsWith('=?base64?') && v.endsWith('?='));
  return plain ? v : `=?base64?${Buffer.from(v, 'utf8').toString('base64')}?=`;
}

/** One `x-mcp-header` annotation of a tool: where the argument is, and the header's name part. */
export interface ParamHeader {
  readonly path: readonly string[];
  readonly name: string;
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/**
 * The `x-mcp-header` annotations of a tool's input schema, or why the tool must be left out
 * (the revision: a client on Streamable HTTP excludes a tool whose annotations break the
 * rules). Annotations are read only along `properties` chains; one anywhere else is invalid.
 */
export function paramHeaders(inputSchema: unknown): { readonly headers: readonly ParamHeader[] } | { readonly invalid: string } {
  const headers: ParamHeader[] = [];
  const seen = new Set<string>();
  let invalid: string | null = null;
  const visit = (node: unknown, path: string[] | null, depth: number): void => {
    if (invalid !== null || depth > 32) return;
    if (Array.isArray(node)) { for (const n of node) visit(n, null, depth + 1); return; }
    if (!isObject(node)) return;
    if (Object.hasOwn(node, 'x-mcp-header')) {
      const name = node['x-mcp-header'];
      const type = node.type;
      if (path === null || path.length === 0) { invalid = 'an x-mcp-header annotation is not on a property reached through properties alone'; return; }
      if (typeof name !== 'string' || !TOKEN.test(name)) { invalid = `x-mcp-header ${JSON.stringify(name)} is not an HTTP field-name token`; return; }
      if (type !== 'string' && type !== 'integer' && type !== 'boolean') { invalid = `x-mcp-header ${name} is on a property of type ${JSON.stringify(type)} (string, integer or boolean only)`; return; }
      const key = name.toLowerCase();
      if (seen.has(key)) { invalid = `x-mcp-header ${name} appears twice`; return; }
      seen.add(key);
      headers.push({ path, name });
    }
    for (const [k, v] of Object.entries(node)) {
      if (k === 'properties' && isObject(v) && path !== null) {
        for (const [prop, sub] of Object.entries(v)) visit(sub, [...path, prop], depth + 1);
      } else if (k !== 'x-mcp-header' && typeof v === 'object' && v !== null) {
        visit(v, null, depth + 1);
      }
    }
  };
  visit(inputSchema, [], 0);
  return invalid !== null ? { invalid } : { headers };
}

/** The `Mcp-Param-*` headers of one call: each annotated argument that is present. */
export function argumentHeaders(annotations: readonly ParamHeader[], args: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const a of annotations) {
    let v: unknown = args;
    for (const p of a.path) v = isObject(v) ? v[p] : undefined;
    if (typeof v === 'string') out[`mcp-param-${a.name.toLowerCase()}`] = headerValue(v);
    else if (typeof v === 'boolean') out[`mcp-param-${a.name.toLowerCase()}`] = String(v);
    else if (typeof v === 'number' && Number.isSafeInteger(v)) out[`mcp-param-${a.name.toLowerCase()}`] = String(v);
  }
  return out;
}

/**
 * A modern server's result as every client of the gateway gets it first: without the
 * revision's own fields (`resultType`, the cache hints, the server's info in `_meta`). A
 * 2026-07-28 client gets the gateway's own versions of them added back (modern.ts).
 */
export function plainResult(result: unknown): unknown {
  if (!isObject(result)) return result;
  const { resultType: _t, ttlMs: _ttl, cacheScope: _scope, ...rest } = result;
  if (isObject(rest._meta) && Object.hasOwn(rest._meta, META_SERVER_INFO)) {
    const { [META_SERVER_INFO]: _info, ...meta } = rest._meta;
    if (Object.keys(meta).length === 0) delete rest._meta;
    else rest._meta = meta;
  }
  return rest;
}

/** What an input_required result asks for, or null for any other result. */
export function inputRequired(result: unknown): { requests: Record<string, { method: string; params?: Record<string, unknown> }>; state: string | undefined } | null {
  if (!isObject(result) || result.resultType !== 'input_required') return null;
  const requests: Record<string, { method: string; params?: Record<string, unknown> }> = {};
  if (isObject(result.inputRequests)) {
    for (const [key, r] of Object.entries(result.inputRequests)) {
      if (isObject(r) && typeof r.method === 'string') requests[key] = isObject(r.params) ? { method: r.method, params: r.params } : { method: r.method };
    }
  }
  return { requests, state: typeof result.requestState === 'string' ? result.requestState : undefined };
}
