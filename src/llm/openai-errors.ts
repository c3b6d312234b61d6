// Errors in the OpenAI shape, for llm routes: `{"error":{"message","type","param","code"}}`
// as JSON before a response starts, and one `data: {"error":{…}}` event once a stream has
// started. Upstream error answers are re-shaped here too: the status and the provider's
// message are kept where they help the caller (a 400 for a too-long context, a 429 with
// retry-after), but the body is rebuilt from a few fields, scrubbed of every configured
// secret and the upstream's address (upstream-secrets.ts), so nothing else the provider
// said reaches the client.
import type { LlmModelSpec } from './spec.js';
import { ERRORS, parseJson, UNTRUSTED_JSON, type ErrorCode, type ErrorRenderer, type ErrorSpec, type GatewayError, type StreamErrorRenderer } from '../core/index.js';
import { scrubUpstreamText } from './upstream-secrets.js';

export { scrubUpstreamText };

/** OpenAI's own codes where one names the same condition; other errors keep their AE_ code. */
const OPENAI_CODES: Partial<Record<ErrorCode, string>> = {
  AE_MODEL_NOT_FOUND: 'model_not_found',
};

function errorObject(err: GatewayError): { message: string; type: string; param: null; code: string } {
  return { message: err.publicMessage, type: ERRORS[err.code].type, param: null, code: OPENAI_CODES[err.code] ?? (ERRORS[err.code] as ErrorSpec).code ?? err.code };
}

export const renderOpenAIError: ErrorRenderer = function renderOpenAIError(err) {
  return {
    status: err.status,
    headers: { 'content-type': 'application/json', ...err.headers },
    body: JSON.stringify({ error: errorObject(err) }),
  };
};

/** The OpenAI front's terminal error event of a started stream (StreamRelay writes it: STYLE 4, one terminal event). */
export const openAIStreamError: StreamErrorRenderer = (_ctx, err) => `data: ${JSON.stringify({ error: errorObject(err) })}\n\n`;

/**
 * Upstream statuses passed on to the caller as they are: they describe the request
 * (bad input, unknown model, too large, rate limited), not the gateway's own key or the
 * upstream's health. 401/403 (the backend's key) and 5xx become a 502.
 */
export const PASSED_STATUSES: ReadonlySet<number> = new Set([400, 404, 409, 413, 422, 429]);

const DEFAULT_TYPES: Record<number, string> = {
  400: 'invalid_request_error',
  404: 'invalid_request_error',
  409: 'invalid_request_error',
  413: 'invalid_request_error',
  422: 'invalid_request_error',
  429: 'rate_limit_error',
};

/** Longest provider message passed on; longer ones are cut. */
const MAX_MESSAGE = 2000;

/** Rebuilds an upstream error body in OpenAI shape from its message/type/param/code only. */
export function upstreamErrorBody(status: number, raw: string, model: LlmModelSpec): string {
  let upstream: Record<string, unknown> | null = null;
  try {
    const parsed: unknown = parseJson(raw, UNTRUSTED_JSON);
    const e = isObject(parsed) ? parsed.error : null;
    if (isObject(e)) upstream = e;
  } catch {
    // Not JSON (an HTML page from a proxy): the status alone speaks.
  }
  const str = (v: unknown) => (typeof v === 'string' ? scrubUpstreamText(v, model, MAX_MESSAGE) : null);
  const message = str(upstream?.message) ?? `The upstream provider answered ${status}.`;
  return JSON.stringify({
    error: {
      message,
      type: str(upstream?.type) ?? DEFAULT_TYPES[status] ?? 'api_error',
      param: str(upstream?.param),
      code: str(upstream?.code) ?? (typeof upstream?.code === 'number' ? String(upstream.code) : null),
    },
  });
}

export function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}
