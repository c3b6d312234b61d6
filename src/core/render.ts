// Renderers turn a GatewayError into bytes in the caller's protocol. Filters never write;
// they return decisions, and the pipeline hands errors to the renderer of the route's
// protocol. Later protocols (OpenAI, Anthropic, JSON-RPC) register their own renderer.
import type { ServerResponse } from 'node:http';
import { ERRORS, type ErrorSpec, type GatewayError } from './errors.js';
import type { RequestContext } from './context.js';

export interface RenderedError {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export type ErrorRenderer = (err: GatewayError, requestId: string) => RenderedError;

/** The plain JSON shape used by http routes and the gateway itself (404, 413, …). */
export const renderJsonError: ErrorRenderer = (err, requestId) => ({
  status: err.status,
  headers: { 'content-type': 'application/json', ...err.headers },
  body: JSON.stringify({
    error: {
      message: err.publicMessage,
      type: ERRORS[err.code].type,
      code: (ERRORS[err.code] as ErrorSpec).code ?? err.code,
      request_id: requestId,
    },
  }),
});

/** Writes a rendered error when the response has not started; returns false if it had. */
export function writeError(res: ServerResponse, err: GatewayError, requestId: string, render: ErrorRenderer = renderJsonError): boolean {
  if (res.headersSent || res.destroyed) return false;
  const r = render(err, requestId);
  r.headers['content-length'] = String(Buffer.byteLength(r.body));
  r.headers['x-request-id'] = requestId;
  res.writeHead(r.status, r.headers);
  res.end(r.body);
  return true;
}

/**
 * Answers a request with an error in its route's protocol shape, with the headers filters
 * added (CORS: a browser cannot read an error without them). The one way a request's
 * error is written; false when the response had already started.
 */
export function replyError(ctx: RequestContext, err: GatewayError): boolean {
  ctx.errorCode = err.code;
  const res = ctx.res;
  if (res.headersSent || res.destroyed) return false;
  if (ctx.responseHeaders !== null) for (const name in ctx.responseHeaders) res.setHeader(name, ctx.responseHeaders[name]!);
  writeError(res, err, ctx.id, ctx.render);
  ctx.observer.firstByte?.(ctx);
  return true;
}

/** Raw HTTP/1.1 error for a socket that never became a request (parse errors, timeouts). */
export function rawHttpError(err: GatewayError, requestId: string): string {
  const r = renderJsonError(err, requestId);
  let extra = '';
  // The error's own headers (retry-after); they are ours, never a client's.
  if (err.headers !== undefined) for (const name in err.headers) extra += `${name}: ${err.headers[name]}\r\n`;
  return `HTTP/1.1 ${r.status} ${statusText(r.status)}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(r.body)}\r\n${extra}connection: close\r\n\r\n${r.body}`;
}

function statusText(status: number): string {
  switch (status) {
    case 400: return 'Bad Request';
    case 408: return 'Request Timeout';
    case 413: return 'Payload Too Large';
    case 431: return 'Request Header Fields Too Large';
    case 503: return 'Service Unavailable';
    default: return 'Error';
  }
}
