// Server-sent events helpers. When a stream has already started, an error is one final
// well-formed event, then the stream ends (STYLE 4: exactly one terminal event).
import type { ServerResponse } from 'node:http';
import { ERRORS, type GatewayError } from './errors.js';

export function writeSseError(res: ServerResponse, err: GatewayError, requestId: string): void {
  if (res.destroyed || res.writableEnded) return;
  const payload = JSON.stringify({ error: { message: err.publicMessage, type: ERRORS[err.code].type, code: err.code, request_id: requestId } });
  res.end(`event: error\ndata: ${payload}\n\n`);
}
