// The 2026-07-28 revision of MCP on the client side of the endpoint: stateless requests
// (no initialize, no session id) that carry their protocol version and the client's
// capabilities in `params._meta` and mirror the method (and the called name or URI) in
// headers; `server/discover` instead of initialize; `subscriptions/listen` instead of the
// standalone stream; `resultType` on every result and `ttlMs` / `cacheScope` on the
// cacheable ones. Checks and shapes only: the endpoint (backend.ts) runs the requests
// through the same federation as the older revisions.
import type { RequestContext } from '../core/index.js';
import { isObject, RPC, type JsonRpcErrorObject, type JsonRpcRequest } from './jsonrpc.js';

export const MODERN_VERSION = '2026-07-28';
export const META_VERSION = 'io.modelcontextprotocol/protocolVersion';
export const META_CAPABILITIES = 'io.modelcontextprotocol/clientCapabilities';
export const META_CLIENT_INFO = 'io.modelcontextprotocol/clientInfo';
export const META_SERVER_INFO = 'io.modelcontextprotocol/serverInfo';
export const META_SUBSCRIPTION = 'io.modelcontextprotocol/subscriptionId';
export const META_LOG_LEVEL = 'io.modelcontextprotocol/logLevel';

/** JSON-RPC codes of the revision. */
export const MODERN_RPC = Object.freeze({ HEADER_MISMATCH: -32020, MISSING_CAPABILITY: -32021, UNSUPPORTED_VERSION: -32022 });

/** Methods the revision removed: a modern client calling one gets -32601 (404). */
const REMOVED = new Set(['initialize', 'ping', 'logging/setLevel', 'resources/subscribe', 'resources/unsubscribe']);

/** Results a client may cache, which carry ttlMs and cacheScope. */
const CACHEABLE = new Set(['tools/list', 'prompts/list', 'resources/list', 'resources/templates/list', 'resources/read', 'server/discover']);

/** The methods whose `Mcp-Name` header mirrors a param, and which param. */
export const NAMED: Readonly<Record<string, 'name' | 'uri'>> = { 'tools/call': 'name', 'prompts/get': 'name', 'resources/read': 'uri' };

/** The version a message claims in `params._meta`, or null: a message of an older revision. */
export function modernClaim(params: Record<string, unknown> | undefined): string | null {
  const meta = params?._meta;
  return isObject(meta) && typeof meta[META_VERSION] === 'string' ? meta[META_VERSION] : null;
}

/** A refusal of a modern request before it is run: HTTP status and the JSON-RPC error. */
export interface ModernRefusal { readonly status: number; readonly error: JsonRpcErrorObject }

/**
 * Checks a modern request against the revision's rules: a version the gateway serves, the
 * mirrored headers equal to the body, the client's capabilities present, a method that
 * still exists. Null when it may run.
 */
export function checkModernRequest(ctx: RequestContext, req: JsonRpcRequest, claimed: string): ModernRefusal | null {
  if (claimed !== MODERN_VERSION) {
    return { status: 400, error: { code: MODERN_RPC.UNSUPPORTED_VERSION, message: `Unsupported protocol version: ${claimed.slice(0, 40)}`, data: { supported: [MODERN_VERSION], requested: claimed.slice(0, 40) } } };
  }
  const h = ctx.req.headers;
  const mismatch = (what: string): ModernRefusal => ({ status: 400, error: { code: MODERN_RPC.HEADER_MISMATCH, message: `Header mismatch: ${what}` } });
  if (h['mcp-protocol-version'] !== claimed) return mismatch('MCP-Protocol-Version must equal params._meta["io.modelcontextprotocol/protocolVersion"]');
  if (h['mcp-method'] !== req.method) return mismatch('Mcp-Method must equal the request\'s method');
  const named = NAMED[req.method];
  if (named !== undefined) {
    const header = h['mcp-name'];
    const value = req.params?.[named];
    if (typeof header !== 'string' || typeof value !== 'string' || decodeHeaderValue(header) !== value) {
      return mismatch(`Mcp-Name must equal params.${named}`);
    }
  }
  const meta = req.params?._meta as Record<string, unknown>;
  if (!isObject(meta[META_CAPABILITIES])) {
    return { status: 400, error: { code: RPC.INVALID_PARAMS, message: `params._meta["${META_CAPABILITIES}"] is required` } };
  }
  if (REMOVED.has(req.method)) {
    return { status: 404, error: { code: RPC.METHOD_NOT_FOUND, message: `Method not found: ${req.method} (not part of protocol revision ${MODERN_VERSION})` } };
  }
  return null;
}

/** A header value as the revision encodes unsafe ones: `=?base64?<UTF-8 in base64>?=`. */
export function decodeHeaderValue(v: string): string {
  const m = /^=\?base64\?([A-Za-z0-9+/=]*)\?=$/.exec(v);
  return m === null ? v : Buffer.from(m[1]!, 'base64').toString('utf8');
}

/**
 * A result as the revision requires it: `resultType`, the server's info in `_meta`, and for
 * the cacheable ones a TTL of 0 and a private scope (what a caller sees is filtered by who
 * it is, and servers may change their lists at any time).
 */
export function modernResult(method: string, result: unknown, serverInfo: object): Record<string, unknown> {
  const r: Record<string, unknown> = isObject(result) ? { ...result } : {};
  if (r.resultType === undefined) r.resultType = 'complete';
  r._meta = { ...(isObject(r._meta) ? r._meta : {}), [META_SERVER_INFO]: serverInfo };
  if (CACHEABLE.has(method)) {
    r.ttlMs = 0;
    r.cacheScope = 'private';
  }
  return r;
}

/** Errors as the revision codes them: resource-not-found is -32602 there. */
export function modernError(e: JsonRpcErrorObject): JsonRpcErrorObject {
  return e.code === RPC.RESOURCE_NOT_FOUND ? { ...e, code: RPC.INVALID_PARAMS } : e;
}

/** What a `subscriptions/listen` asks for. */
export interface ListenFilter {
  readonly toolsListChanged?: boolean;
  readonly promptsListChanged?: boolean;
  readonly resourcesListChanged?: boolean;
  readonly resourceSubscriptions?: readonly string[];
}

export function listenFilter(params: Record<string, unknown> | undefined): ListenFilter {
  const n = isObject(params?.notifications) ? params.notifications : {};
  const flag = (k: string) => n[k] === true;
  const uris = Array.isArray(n.resourceSubscriptions) ? n.resourceSubscriptions.filter((u): u is string => typeof u === 'string').slice(0, 1000) : [];
  return {
    ...(flag('toolsListChanged') && { toolsListChanged: true }),
    ...(flag('promptsListChanged') && { promptsListChanged: true }),
    ...(flag('resourcesListChanged') && { resourcesListChanged: true }),
    ...(uris.length > 0 && { resourceSubscriptions: uris }),
  };
}

/** Whether a notification is one the listen asked for. */
export function listenWants(f: ListenFilter, msg: { method?: unknown; params?: unknown }): boolean {
  switch (msg.method) {
    case 'notifications/tools/list_changed': return f.toolsListChanged === true;
    case 'notifications/prompts/list_changed': return f.promptsListChanged === true;
    case 'notifications/resources/list_changed': return f.resourcesListChanged === true;
    case 'notifications/resources/updated': {
      const uri = isObject(msg.params) ? msg.params.uri : undefined;
      return typeof uri === 'string' && (f.resourceSubscriptions?.includes(uri) ?? false);
    }
    default: return false;
  }
}
