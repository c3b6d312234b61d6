// Server-sent events helpers. When a stream has already started, an error is one final
// well-formed event, then the stream ends (STYLE 4: exactly one terminal event). For that
// event to parse, the client must be between events when it is written, so the proxy
// forwards SSE bytes up to the last event boundary and holds an unfinished event back
// (sseEventEnd finds the boundary).
import type { ServerResponse } from 'node:http';
import { ERRORS, type GatewayError } from './errors.js';

const LF = 10;

/**
 * Offset just past the last blank line (event boundary) in `buf`, 0 if none. It may
 * under-report for mixed line endings ("\n\r\n"); that only holds an event back a little
 * longer, never splits one.
 */
export function sseEventEnd(buf: Buffer): number {
  const n = buf.length;
  // Fast path: chunks from LLM providers end exactly at an event boundary.
  if (n >= 2 && buf[n - 1] === LF && buf[n - 2] === LF) return n;
  let end = buf.lastIndexOf('\n\n');
  end = end === -1 ? 0 : end + 2;
  const crlf = buf.lastIndexOf('\r\n\r\n');
  if (crlf !== -1 && crlf + 4 > end) end = crlf + 4;
  const cr = buf.lastIndexOf('\r\r');
  if (cr !== -1 && cr + 2 > end) end = cr + 2;
  return end;
}

/** Ends an SSE response with one `event: error` carrying the public error as JSON. */
export function writeSseError(res: ServerResponse, err: GatewayError, requestId: string): void {
  if (res.destroyed || res.writableEnded) return;
  const payload = JSON.stringify({ error: { message: err.publicMessage, type: ERRORS[err.code].type, code: err.code, request_id: requestId } });
  res.end(`event: error\ndata: ${payload}\n\n`);
}
