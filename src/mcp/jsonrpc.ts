// JSON-RPC 2.0 as MCP uses it: the message shapes, the error codes, and the error the
// gateway answers in the caller's protocol (DESIGN §3: `{"jsonrpc","id","error":{code,
// message,data}}`). A gateway refusal carries its AE_* code and HTTP status in `data`.
import { ERRORS, GatewayError, type ErrorCode, type ErrorSpec } from '../core/index.js';

export type JsonRpcId = string | number;

export interface JsonRpcRequest {
  readonly jsonrpc: '2.0';
  readonly id: JsonRpcId;
  readonly method: string;
  readonly params?: Record<string, unknown>;
}

export interface JsonRpcNotification {
  readonly jsonrpc: '2.0';
  readonly method: string;
  readonly params?: Record<string, unknown>;
}

export interface JsonRpcErrorObject {
  readonly code: number;
  readonly message: string;
  readonly data?: unknown;
}

export interface JsonRpcResponse {
  readonly jsonrpc: '2.0';
  readonly id: JsonRpcId | null;
  readonly result?: unknown;
  readonly error?: JsonRpcErrorObject;
}

export type JsonRpcMessage = JsonRpcRequest | JsonRpcNotification | JsonRpcResponse;

export const RPC = Object.freeze({
  PARSE_ERROR: -32700,
  INVALID_REQUEST: -32600,
  METHOD_NOT_FOUND: -32601,
  INVALID_PARAMS: -32602,
  INTERNAL_ERROR: -32603,
  /** Implementation-defined server errors: the gateway's refusals and upstream failures. */
  SERVER_ERROR: -32000,
  /** A resource URI no server serves (MCP's resource-not-found). */
  RESOURCE_NOT_FOUND: -32002,
});

/** An error a JSON-RPC request is answered with (thrown inside the federation). */
export class RpcError extends Error {
  readonly code: number;
  readonly data: unknown;
  constructor(code: number, message: string, data?: unknown) {
    super(message);
    this.name = 'RpcError';
    this.code = code;
    this.data = data;
  }
  toJSON(): JsonRpcErrorObject {
    return this.data === undefined ? { code: this.code, message: this.message } : { code: this.code, message: this.message, data: this.data };
  }
}

/** A gateway refusal (the call gate, a limit) as a JSON-RPC error object. */
export function gatewayRpcError(err: GatewayError): JsonRpcErrorObject {
  return { code: RPC.SERVER_ERROR, message: err.publicMessage, data: { code: (ERRORS[err.code] as ErrorSpec).code ?? err.code, status: err.status } };
}

/** Any failure as a JSON-RPC error object: RpcErrors as they are, GatewayErrors as refusals, the rest internal. */
export function toRpcError(err: unknown): JsonRpcErrorObject {
  if (err instanceof RpcError) return err.toJSON();
  if (err instanceof GatewayError) return gatewayRpcError(err);
  return { code: RPC.INTERNAL_ERROR, message: 'The gateway failed to handle this request.' };
}

export function rpcResult(id: JsonRpcId, result: unknown): JsonRpcResponse {
  return { jsonrpc: '2.0', id, result };
}

export function rpcFailure(id: JsonRpcId | null, error: JsonRpcErrorObject): JsonRpcResponse {
  return { jsonrpc: '2.0', id, error };
}

export const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

const validId = (v: unknown): v is JsonRpcId => typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v));

/** What one downstream message is; `invalid` explains a message that is none of them. */
export type Classified =
  | { readonly kind: 'request'; readonly msg: JsonRpcRequest }
  | { readonly kind: 'notification'; readonly msg: JsonRpcNotification }
  | { readonly kind: 'response'; readonly msg: JsonRpcResponse }
  | { readonly kind: 'invalid'; readonly id: JsonRpcId | null; readonly why: string };

export function classify(v: unknown): Classified {
  if (!isObject(v) || v.jsonrpc !== '2.0') return { kind: 'invalid', id: isObject(v) && validId(v.id) ? v.id : null, why: 'not a JSON-RPC 2.0 message' };
  const hasId = Object.hasOwn(v, 'id');
  if (typeof v.method === 'string') {
    if (v.params !== undefined && !isObject(v.params)) return { kind: 'invalid', id: validId(v.id) ? v.id : null, why: 'params must be an object' };
    if (!hasId) return { kind: 'notification', msg: v as unknown as JsonRpcNotification };
    if (!validId(v.id)) return { kind: 'invalid', id: null, why: 'id must be a string or a number' };
    return { kind: 'request', msg: v as unknown as JsonRpcRequest };
  }
  if (hasId && (Object.hasOwn(v, 'result') || isObject(v.error))) return { kind: 'response', msg: v as unknown as JsonRpcResponse };
  return { kind: 'invalid', id: validId(v.id) ? v.id : null, why: 'neither a request, a notification nor a response' };
}

/** The AE code a refusal in JSON-RPC data names (for logs and tests). */
export function refusalCode(code: ErrorCode): string {
  return (ERRORS[code] as ErrorSpec).code ?? code;
}
