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

const EVENT_SPLIT = /\r\n\r\n|\n\n|\r\r/;

/**
 * Splits an SSE byte stream into whole events, whatever the chunk boundaries. An
 * unfinished event is held back, up to `limit` bytes; past that `overflow()` is thrown
 * (a provider sending a megabyte-long line is broken, and memory stays bounded).
 */
export class SseEventReader {
  #held: Buffer | null = null;
  readonly #limit: number;
  readonly #overflow: () => Error;

  constructor(limit: number, overflow: () => Error) {
    this.#limit = limit;
    this.#overflow = overflow;
  }

  /** The complete events this chunk finishes, as text (the last may be empty). */
  push(chunk: Buffer): string[] {
    let buf = this.#held === null ? chunk : Buffer.concat([this.#held, chunk]);
    this.#held = null;
    const end = sseEventEnd(buf);
    if (end < buf.length) {
      if (buf.length - end > this.#limit) throw this.#overflow();
      this.#held = buf.subarray(end);
      buf = buf.subarray(0, end);
    }
    return buf.length === 0 ? [] : buf.toString('utf8').split(EVENT_SPLIT);
  }
}

/** Ends an SSE response with one `event: error` carrying the public error as JSON. */
export function writeSseError(res: ServerResponse, err: GatewayError, requestId: string): void {
  if (res.destroyed || res.writableEnded) return;
  const payload = JSON.stringify({ error: { message: err.publicMessage, type: ERRORS[err.code].type, code: err.code, request_id: requestId } });
  res.end(`event: error\ndata: ${payload}\n\n`);
}

/** The data of one SSE event (its `data:` lines joined by newlines, per the SSE spec); '' when it has none. */
export function sseData(ev: string): string {
  let data = '';
  for (const line of ev.split(/\r\n|\n|\r/)) {
    if (line.startsWith('data:')) data += (data === '' ? '' : '\n') + line.slice(line.charCodeAt(5) === 32 ? 6 : 5);
  }
  return data;
}
