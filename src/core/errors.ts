// The one registry of gateway error codes. Every error a client can see is listed here with
// its HTTP status, its public message and whether retrying may help. Renderers
// (render.ts) turn a GatewayError into the caller's protocol shape; nothing else writes
// error bytes. docs/errors.md is checked against this table by a test.

export interface ErrorSpec {
  readonly status: number;
  /** Public message: safe to show any client; never includes upstream details. */
  readonly message: string;
  /** OpenAI-style error type, used by JSON renderers. */
  readonly type: string;
  /** Whether the same request may succeed if retried later. */
  readonly retryable: boolean;
  /** The `code` renderers show instead of the AE_ code, where the contract names one (OpenAI's). */
  readonly code?: string;
}

export const ERRORS = {
  AE_BAD_REQUEST: { status: 400, type: 'invalid_request_error', retryable: false, message: 'The request could not be parsed.' },
  AE_BAD_PATH: { status: 400, type: 'invalid_request_error', retryable: false, message: 'The request path is not valid.' },
  AE_BAD_HEADER: { status: 400, type: 'invalid_request_error', retryable: false, message: 'A request header is not valid.' },
  AE_ROUTE_NOT_FOUND: { status: 404, type: 'not_found_error', retryable: false, message: 'No route matches this request.' },
  AE_ADMIN_UNAUTHORIZED: { status: 401, type: 'authentication_error', retryable: false, message: 'The admin API needs a valid bearer token.' },
  AE_KEY_NOT_FOUND: { status: 404, type: 'not_found_error', retryable: false, message: 'No live API key has this id or name.' },
  AE_KEY_CONFLICT: { status: 409, type: 'invalid_request_error', retryable: false, message: 'A live API key with this name already exists.' },
  AE_UNAUTHENTICATED: { status: 401, type: 'authentication_error', retryable: false, code: 'invalid_api_key', message: 'A valid API key or bearer token is required.' },
  AE_FORBIDDEN: { status: 403, type: 'permission_error', retryable: false, message: 'The caller is not allowed to make this request.' },
  AE_INSUFFICIENT_SCOPE: { status: 403, type: 'permission_error', retryable: false, code: 'insufficient_scope', message: 'The token does not carry the scopes this route requires.' },
  AE_RATE_LIMITED: { status: 429, type: 'rate_limit_error', retryable: true, code: 'rate_limit_exceeded', message: 'Rate limit reached; retry after the time in retry-after.' },
  AE_BUDGET_EXCEEDED: { status: 429, type: 'insufficient_quota', retryable: false, code: 'insufficient_quota', message: 'The budget for this caller is exhausted.' },
  AE_AUTH_UNAVAILABLE: { status: 503, type: 'api_error', retryable: true, message: 'The gateway cannot verify credentials right now.' },
  AE_STATE_UNAVAILABLE: { status: 503, type: 'api_error', retryable: true, message: 'The gateway cannot check limits or budgets right now.' },
  AE_CORS_REJECTED: { status: 403, type: 'permission_error', retryable: false, message: 'The request origin is not allowed.' },
  AE_REQUEST_TIMEOUT: { status: 408, type: 'timeout_error', retryable: true, message: 'The request was not received in time.' },
  AE_MODEL_NOT_FOUND: { status: 404, type: 'invalid_request_error', retryable: false, message: 'The model does not exist or is not served on this route.' },
  AE_BODY_TOO_LARGE: { status: 413, type: 'invalid_request_error', retryable: false, message: 'The request body is larger than this route allows.' },
  AE_HEADERS_TOO_LARGE: { status: 431, type: 'invalid_request_error', retryable: false, message: 'The request headers are too large or too many.' },
  AE_INTERNAL: { status: 500, type: 'api_error', retryable: true, message: 'The gateway failed to handle this request.' },
  AE_UPSTREAM_UNAVAILABLE: { status: 502, type: 'api_error', retryable: true, message: 'The upstream service could not be reached.' },
  AE_UPSTREAM_PROTOCOL: { status: 502, type: 'api_error', retryable: true, message: 'The upstream service sent an invalid response.' },
  AE_UPSTREAM_ERROR: { status: 502, type: 'api_error', retryable: true, message: 'The upstream service answered with an error.' },
  AE_UPSTREAM_STREAM_ABORTED: { status: 502, type: 'api_error', retryable: true, message: 'The upstream response ended before it was complete.' },
  AE_SHUTTING_DOWN: { status: 503, type: 'overloaded_error', retryable: true, message: 'The gateway is shutting down.' },
  AE_UPSTREAM_OVERLOADED: { status: 503, type: 'overloaded_error', retryable: true, message: 'The upstream service is at its concurrency limit; retry after the time in retry-after.' },
  AE_UPSTREAM_TIMEOUT: { status: 504, type: 'timeout_error', retryable: true, message: 'The upstream service did not answer in time.' },
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof ERRORS;

/** A typed, client-safe error. `detail` is for logs only and is never rendered. */
export class GatewayError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly publicMessage: string;
  readonly retryable: boolean;
  /** Extra response headers, e.g. retry-after. */
  readonly headers: Readonly<Record<string, string>> | undefined;

  constructor(code: ErrorCode, options: { detail?: string; cause?: unknown; message?: string; headers?: Record<string, string> } = {}) {
    const spec: ErrorSpec = ERRORS[code];
    super(options.detail ?? spec.message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'GatewayError';
    this.code = code;
    this.status = spec.status;
    this.publicMessage = options.message ?? spec.message;
    this.retryable = spec.retryable;
    this.headers = options.headers;
  }
}

export function isGatewayError(err: unknown): err is GatewayError {
  return err instanceof GatewayError;
}

/** Anything thrown that is not a GatewayError becomes a generic 500 that says nothing more. */
export function toGatewayError(err: unknown): GatewayError {
  if (err instanceof GatewayError) return err;
  return new GatewayError('AE_INTERNAL', { cause: err, detail: err instanceof Error ? err.message : String(err) });
}
