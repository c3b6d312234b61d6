// Server-sent events helpers. When a stream has already started, an error is one final
// well-formed event, then the stream ends (STYLE 4: exactly one terminal event). For that
// event to parse, the client must be between events when it is written, so the relay
// (stream-stages.ts) forwards SSE bytes up to the last event boundary and holds an
// unfinished event back.
//
// SseFramer does that holding for every reader of an upstream stream, in linear time: a
// chunk is searched once (natively, from its end) and never again, held pieces are joined
// once when their event completes, and an unfinished event has a cap (STYLE 15; an
// upstream is untrusted too). Searching a growing buffer from its start on every chunk,
// as the first readers did, made one event of megabytes cost seconds of CPU.
import { ERRORS, GatewayError } from './errors.js';

const LF = 10;

/**
 * Byte sequences that end an event (a line terminator followed by an empty line), as
 * servers write them: LF, CRLF or CR line ends, and the two mixtures a server that adds
 * its own separator to lines ending the other way produces.
 */
const BOUNDARIES = ['\n\n', '\r\n\r\n', '\r\r', '\r\n\n', '\n\r\n'].map((s) => Buffer.from(s));
/** Longest boundary less one: the most bytes of a boundary that can sit before a chunk. */
const CARRY = 3;

/**
 * Offset just past the last event boundary in `buf`, 0 if none. Linear in `buf`: each
 * search runs once, natively, from the end.
 */
export function sseEventEnd(buf: Buffer): number {
  const n = buf.length;
  // Fast path: chunks from LLM providers end exactly at an event boundary.
  if (n >= 2 && buf[n - 1] === LF && buf[n - 2] === LF) return n;
  let end = 0;
  for (const b of BOUNDARIES) {
    const at = buf.lastIndexOf(b);
    if (at !== -1 && at + b.length > end) end = at + b.length;
  }
  return end;
}

/** The unfinished event grew past the cap (or one event came whole and larger than it). */
export class SseEventTooLarge extends Error {
  readonly limit: number;
  constructor(limit: number) {
    super(`an upstream SSE event is larger than ${limit} bytes`);
    this.name = 'SseEventTooLarge';
    this.limit = limit;
  }
}

/**
 * Splits an SSE byte stream into regions of whole events, whatever the chunk boundaries.
 * `push` returns the bytes of the events a chunk completes (possibly none) and holds the
 * rest; an unfinished event past `maxEventBytes` throws SseEventTooLarge, or, with
 * `release` set (a plain proxy that must not refuse what it does not read), is passed on
 * as it comes and `midEvent` says so until its boundary passes.
 */
export class SseFramer {
  readonly #max: number;
  readonly #release: boolean;
  #held: Buffer[] = [];
  #heldBytes = 0;
  /**
   * The last bytes seen (at most CARRY), for a boundary split across two chunks; kept only
   * while an event is unfinished (after a boundary a split one would only end an empty event).
   */
  readonly #tail = Buffer.alloc(CARRY);
  #tailLength = 0;
  /** An unfinished event over the cap was passed on (release mode): no boundary yet. */
  midEvent = false;

  constructor(maxEventBytes: number, opts: { release?: boolean } = {}) {
    this.#max = maxEventBytes;
    this.#release = opts.release === true;
  }

  /** Bytes of an unfinished event held back. */
  get holding(): number { return this.#heldBytes; }

  push(chunk: Buffer): Buffer {
    if (chunk.length === 0) return chunk;
    let end = sseEventEnd(chunk);
    if (end === 0 && this.#tailLength > 0) end = this.#straddle(chunk);
    let out: Buffer;
    if (end === 0) {
      // No boundary: all of it belongs to the unfinished event.
      if (this.midEvent) {
        out = chunk;
      } else {
        this.#hold(chunk);
        out = this.#heldBytes <= this.#max ? EMPTY : this.#overflow();
      }
    } else {
      this.midEvent = false;
      if (this.#heldBytes === 0) {
        out = end === chunk.length ? chunk : chunk.subarray(0, end);
      } else {
        if (this.#heldBytes + end > this.#max && !this.#release) throw new SseEventTooLarge(this.#max);
        this.#held.push(chunk.subarray(0, end));
        out = Buffer.concat(this.#held, this.#heldBytes + end);
        this.#held = [];
        this.#heldBytes = 0;
      }
      if (end < chunk.length) {
        this.#hold(chunk.subarray(end));
        if (this.#heldBytes > this.#max) out = Buffer.concat([out, this.#overflow()]);
      }
    }
    this.#noteTail(chunk);
    return out;
  }

  /** What is still held when the upstream ends (an unfinished event); null when nothing is. */
  flush(): Buffer | null {
    if (this.#heldBytes === 0) return null;
    const out = Buffer.concat(this.#held, this.#heldBytes);
    this.#held = [];
    this.#heldBytes = 0;
    this.#tailLength = 0;
    return out;
  }

  #hold(piece: Buffer): void {
    this.#held.push(piece);
    this.#heldBytes += piece.length;
  }

  /** Past the cap: refused, or (release) everything held goes out and the event passes as it comes. */
  #overflow(): Buffer {
    if (!this.#release) throw new SseEventTooLarge(this.#max);
    this.midEvent = true;
    const out = Buffer.concat(this.#held, this.#heldBytes);
    this.#held = [];
    this.#heldBytes = 0;
    return out;
  }

  /** The end of a boundary that starts in the bytes before `chunk` and ends in its first bytes; 0 if none. */
  #straddle(chunk: Buffer): number {
    const before = this.#tailLength;
    const joined = Buffer.concat([this.#tail.subarray(0, before), chunk.subarray(0, CARRY)]);
    const end = sseEventEnd(joined) - before;
    return end > 0 ? end : 0;
  }

  #noteTail(chunk: Buffer): void {
    if (this.#heldBytes === 0 && !this.midEvent) {
      this.#tailLength = 0;
    } else if (chunk.length >= CARRY) {
      chunk.copy(this.#tail, 0, chunk.length - CARRY);
      this.#tailLength = CARRY;
    } else {
      const joined = Buffer.concat([this.#tail.subarray(0, this.#tailLength), chunk]);
      const keep = Math.min(CARRY, joined.length);
      joined.copy(this.#tail, 0, joined.length - keep);
      this.#tailLength = keep;
    }
  }
}

const EMPTY = Buffer.alloc(0);
const EVENT_SPLIT = /\r\n\r\n|\n\n|\r\r|\r\n\n|\n\r\n/;

/** The events of a region of whole events (as SseFramer returns it), as text; the last may be empty. */
export function sseEvents(region: Buffer): string[] {
  return region.length === 0 ? [] : region.toString('utf8').split(EVENT_SPLIT);
}

/** The events of whole events already decoded (a translator stage's output); the last may be empty. */
export function sseTextEvents(text: string): string[] {
  return text === '' ? [] : text.split(EVENT_SPLIT);
}

/**
 * Splits an SSE byte stream into whole events as text, for readers that parse every event
 * (stream translators). Past the cap a GatewayError (AE_UPSTREAM_PROTOCOL) is thrown: the
 * relay then ends the client's stream with one error event and aborts the upstream.
 */
export class SseEventReader {
  readonly #framer: SseFramer;
  readonly #what: string;

  constructor(maxEventBytes: number, what: string) {
    this.#framer = new SseFramer(maxEventBytes);
    this.#what = what;
  }

  /** The complete events this chunk finishes, as text (the last may be empty). */
  push(chunk: Buffer): string[] {
    try {
      return sseEvents(this.#framer.push(chunk));
    } catch (err) {
      throw sseOverflowError(err, this.#what);
    }
  }
}

/** The gateway error for an SSE event over its cap (other errors pass unchanged). */
export function sseOverflowError(err: unknown, what: string): unknown {
  if (!(err instanceof SseEventTooLarge)) return err;
  return new GatewayError('AE_UPSTREAM_PROTOCOL', { cause: err, detail: `${what}: ${err.message}` });
}

/** One `event: error` carrying the public error as JSON: the gateway's own terminal event (the http backend's). */
export function sseErrorEvent(err: GatewayError, requestId: string): string {
  const payload = JSON.stringify({ error: { message: err.publicMessage, type: ERRORS[err.code].type, code: err.code, request_id: requestId } });
  return `event: error\ndata: ${payload}\n\n`;
}

/** The data of one SSE event (its `data:` lines joined by newlines, per the SSE spec); '' when it has none. */
export function sseData(ev: string): string {
  let data = '';
  for (const line of ev.split(/\r\n|\n|\r/)) {
    if (line.startsWith('data:')) data += (data === '' ? '' : '\n') + line.slice(line.charCodeAt(5) === 32 ? 6 : 5);
  }
  return data;
}

