// Errors in the Anthropic shape, for the Anthropic front (P/messages): `{"type":"error",
// "error":{"type","message"}}` as JSON before a response starts, and one `event: error`
// with the same data once a stream has started. Upstream error answers (from an OpenAI or
// an Anthropic upstream) are rebuilt from their message and type only, scrubbed like the
// OpenAI ones (openai-errors.ts), with the status kept where it describes the request.
import type { LlmModelSpec } from './spec.js';
import { parseJson, UNTRUSTED_JSON, type ErrorRenderer, type GatewayError, type StreamErrorRenderer } from '../core/index.js';
import { isObject, scrubUpstreamText } from './openai-errors.js';

/** Anthropic's error types, by HTTP status. */
export function anthropicErrorType(status: number): string {
  switch (status) {
    case 400: case 409: case 422: return 'invalid_request_error';
    case 401: return 'authentication_error';
    case 403: return 'permission_error';
    case 404: return 'not_found_error';
    case 413: return 'request_too_large';
    case 429: return 'rate_limit_error';
    case 503: case 529: return 'overloaded_error';
    default: return status === 504 ? 'timeout_error' : 'api_error';
  }
}

function errorData(err: GatewayError, requestId: string): string {
  return JSON.stringify({ type: 'error', error: { type: anthropicErrorType(err.status), message: err.publicMessage }, request_id: requestId });
}

export const renderAnthropicError: ErrorRenderer = function renderAnthropicError(err, requestId) {
  return {
    status: err.status,
    headers: { 'content-type': 'application/json', 'request-id': requestId, ...err.headers },
    body: errorData(err, requestId),
  };
};

/** The Anthropic front's terminal `event: error` of a started stream (StreamRelay writes it: one terminal event). */
export const anthropicStreamError: StreamErrorRenderer = (ctx, err) => `event: error\ndata: ${errorData(err, ctx.id)}\n\n`;

const MAX_MESSAGE = 2000;

/**
 * Rebuilds an upstream error body (OpenAI `{"error":{message,type}}` or Anthropic
 * `{"type":"error","error":{type,message}}`) in Anthropic shape, message scrubbed.
 */
export function anthropicUpstreamErrorBody(status: number, raw: string, model: LlmModelSpec): string {
  let upstream: Record<string, unknown> | null = null;
  try {
    const parsed: unknown = parseJson(raw, UNTRUSTED_JSON);
    const e = isObject(parsed) ? parsed.error : null;
    if (isObject(e)) upstream = e;
  } catch {
    // Not JSON: the status alone speaks.
  }
  const message = typeof upstream?.message === 'string'
    ? scrubUpstreamText(upstream.message, model, MAX_MESSAGE)
    : `The upstream provider answered ${status}.`;
  // OpenAI's types differ from Anthropic's; the status decides the type the SDK sees.
  return JSON.stringify({ type: 'error', error: { type: anthropicErrorType(status), message } });
}
