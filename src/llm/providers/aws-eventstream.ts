// AWS event stream framing (application/vnd.amazon.eventstream), as Bedrock ConverseStream
// answers with. Wire format (AWS "Event stream encoding", Transcribe / Lex / S3 Select docs):
//
//   total length u32 BE | headers length u32 BE | prelude CRC32 (of the 8 bytes before)
//   headers (headers-length bytes) | payload | message CRC32 (of everything before it)
//
// Each header: name length u8, name (UTF-8), value type u8, value. Value types: 0 true, 1 false
// (no value bytes), 2 byte (i8), 3 short (i16 BE), 4 int (i32 BE), 5 long (i64 BE), 6 bytes
// (u16 BE length + bytes), 7 string (u16 BE length + UTF-8), 8 timestamp (i64 BE ms since
// epoch), 9 uuid (16 bytes). Overhead is 16 bytes; CRCs are the gzip CRC32 (IEEE).
import * as zlib from 'node:zlib';
import { JsonRefusedError, parseJson, UNTRUSTED_JSON } from '../../core/index.js';

export type EventStreamHeaderValue = string | number | boolean | bigint | Buffer | Date;

export interface EventStreamMessage {
  headers: Record<string, EventStreamHeaderValue>;
  payload: Buffer;
}

/** An explicitly typed header, for the wire types a plain JS value cannot pick on its own. */
export type TypedHeader =
  | { type: 'byte' | 'short' | 'int'; value: number }
  | { type: 'long'; value: bigint }
  | { type: 'timestamp'; value: Date }
  | { type: 'uuid'; value: string };

export type EventStreamHeaderInput = EventStreamHeaderValue | TypedHeader;

export class EventStreamError extends Error {
  override readonly name = 'EventStreamError';
}

const PRELUDE = 12;
const OVERHEAD = 16;
export const DEFAULT_MAX_MESSAGE_BYTES = 16 * 1024 * 1024;

// ---- CRC32 ------------------------------------------------------------------------------
// zlib.crc32 only exists from Node 20.15 / 22.2; keep a table-driven fallback so an older
// runtime still works rather than failing every Bedrock stream.
let table: Uint32Array | undefined;
export function crc32Fallback(data: Uint8Array): number {
  if (!table) {
    table = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      table[n] = c >>> 0;
    }
  }
  let crc = 0xffffffff;
  for (let i = 0; i < data.length; i++) crc = table[(crc ^ data[i]!) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}
const nativeCrc32 = (zlib as { crc32?: (data: Uint8Array) => number }).crc32;
export const crc32: (data: Uint8Array) => number =
  typeof nativeCrc32 === 'function' ? (d) => nativeCrc32(d) >>> 0 : crc32Fallback;

// ---- encoder ----------------------------------------------------------------------------
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function encodeHeaderValue(name: string, v: EventStreamHeaderInput): Buffer {
  const fixed = (type: number, size: number, write: (b: Buffer) => void): Buffer => {
    const b = Buffer.alloc(1 + size);
    b[0] = type;
    write(b);
    return b;
  };
  const varlen = (type: number, bytes: Buffer): Buffer => {
    if (bytes.length > 0xffff) throw new EventStreamError(`header ${name}: value longer than 65535 bytes`);
    const b = Buffer.alloc(3);
    b[0] = type;
    b.writeUInt16BE(bytes.length, 1);
    return Buffer.concat([b, bytes]);
  };
  if (typeof v === 'boolean') return Buffer.from([v ? 0 : 1]);
  if (typeof v === 'string') return varlen(7, Buffer.from(v, 'utf8'));
  if (typeof v === 'bigint') return fixed(5, 8, (b) => b.writeBigInt64BE(v, 1));
  if (typeof v === 'number') {
    // A bare number is an int32: the common case (e.g. :content-length style counters).
    if (!Number.isInteger(v) || v < -0x80000000 || v > 0x7fffffff) {
      throw new EventStreamError(`header ${name}: ${v} is not an int32; pass { type, value }`);
    }
    return fixed(4, 4, (b) => b.writeInt32BE(v, 1));
  }
  if (Buffer.isBuffer(v)) return varlen(6, v);
  if (v instanceof Date) return fixed(8, 8, (b) => b.writeBigInt64BE(BigInt(v.getTime()), 1));
  switch (v.type) {
    case 'byte': return fixed(2, 1, (b) => b.writeInt8(v.value, 1));
    case 'short': return fixed(3, 2, (b) => b.writeInt16BE(v.value, 1));
    case 'int': return fixed(4, 4, (b) => b.writeInt32BE(v.value, 1));
    case 'long': return fixed(5, 8, (b) => b.writeBigInt64BE(v.value, 1));
    case 'timestamp': return fixed(8, 8, (b) => b.writeBigInt64BE(BigInt(v.value.getTime()), 1));
    case 'uuid': {
      if (!UUID_RE.test(v.value)) throw new EventStreamError(`header ${name}: not a UUID`);
      return Buffer.concat([Buffer.from([9]), Buffer.from(v.value.replace(/-/g, ''), 'hex')]);
    }
  }
}

/** Encodes one message. Used by tests and fake Bedrock servers; the proxy itself only decodes. */
export function encodeEventStreamMessage(
  headers: Record<string, EventStreamHeaderInput>,
  payload: Uint8Array | string = Buffer.alloc(0),
): Buffer {
  const parts: Buffer[] = [];
  for (const [name, value] of Object.entries(headers)) {
    const nameBytes = Buffer.from(name, 'utf8');
    if (nameBytes.length === 0 || nameBytes.length > 255) {
      throw new EventStreamError(`header name must be 1-255 bytes: ${JSON.stringify(name)}`);
    }
    parts.push(Buffer.from([nameBytes.length]), nameBytes, encodeHeaderValue(name, value));
  }
  const headerBytes = Buffer.concat(parts);
  const body = typeof payload === 'string' ? Buffer.from(payload, 'utf8') : Buffer.from(payload);
  const total = OVERHEAD + headerBytes.length + body.length;
  const out = Buffer.alloc(total);
  out.writeUInt32BE(total, 0);
  out.writeUInt32BE(headerBytes.length, 4);
  out.writeUInt32BE(crc32(out.subarray(0, 8)), 8);
  headerBytes.copy(out, PRELUDE);
  body.copy(out, PRELUDE + headerBytes.length);
  out.writeUInt32BE(crc32(out.subarray(0, total - 4)), total - 4);
  return out;
}

// ---- decoder ----------------------------------------------------------------------------
function formatUuid(b: Buffer): string {
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

function decodeHeaders(buf: Buffer): Record<string, EventStreamHeaderValue> {
  const headers: Record<string, EventStreamHeaderValue> = {};
  let i = 0;
  const need = (n: number, what: string): void => {
    if (i + n > buf.length) throw new EventStreamError(`truncated header section (${what})`);
  };
  while (i < buf.length) {
    need(1, 'name length');
    const nameLen = buf[i]!;
    i += 1;
    need(nameLen + 1, 'name');
    const name = buf.toString('utf8', i, i + nameLen);
    i += nameLen;
    const type = buf[i]!;
    i += 1;
    let value: EventStreamHeaderValue;
    switch (type) {
      case 0: value = true; break;
      case 1: value = false; break;
      case 2: need(1, name); value = buf.readInt8(i); i += 1; break;
      case 3: need(2, name); value = buf.readInt16BE(i); i += 2; break;
      case 4: need(4, name); value = buf.readInt32BE(i); i += 4; break;
      case 5: need(8, name); value = buf.readBigInt64BE(i); i += 8; break;
      case 6:
      case 7: {
        need(2, name);
        const len = buf.readUInt16BE(i);
        i += 2;
        need(len, name);
        // Copy bytes values: the caller may keep them after the stream buffer is reused.
        value = type === 6 ? Buffer.from(buf.subarray(i, i + len)) : buf.toString('utf8', i, i + len);
        i += len;
        break;
      }
      case 8: need(8, name); value = new Date(Number(buf.readBigInt64BE(i))); i += 8; break;
      case 9: need(16, name); value = formatUuid(buf.subarray(i, i + 16)); i += 16; break;
      default: throw new EventStreamError(`header ${JSON.stringify(name)}: unknown value type ${type}`);
    }
    if (Object.hasOwn(headers, name)) throw new EventStreamError(`duplicate header ${JSON.stringify(name)}`);
    // defineProperty, not assignment: a header named "__proto__" must stay a plain key.
    Object.defineProperty(headers, name, { value, enumerable: true, writable: true, configurable: true });
  }
  return headers;
}

/**
 * Incremental decoder: push() arbitrary chunks, get back every message they complete. Never
 * holds more than one (bounded) message plus the unread tail of the current chunk; the
 * prelude is checked (CRC, then lengths) as soon as its 12 bytes arrive, so a corrupt or
 * oversized length fails at once instead of waiting for bytes that will never come.
 * After an error the decoder is poisoned: every later call throws the same error.
 */
export class EventStreamDecoder {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private expected = 0; // total length of the message being assembled, once its prelude is known
  private failed: EventStreamError | undefined;
  constructor(private readonly maxMessageBytes = DEFAULT_MAX_MESSAGE_BYTES) {}

  /** Bytes held waiting for the rest of a message (for tests and diagnostics). */
  get bufferedBytes(): number {
    return this.buffered;
  }

  push(chunk: Uint8Array): EventStreamMessage[] {
    if (this.failed) throw this.failed;
    if (chunk.length > 0) {
      // A view, not a copy: stream chunks are not reused by their producers, and payloads and
      // bytes headers are copied out below, so a decoded message never aliases the input.
      this.chunks.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length));
      this.buffered += chunk.length;
    }
    const out: EventStreamMessage[] = [];
    try {
      for (;;) {
        if (this.expected === 0) {
          if (this.buffered < PRELUDE) break;
          this.expected = this.checkPrelude(this.peek(PRELUDE));
        }
        if (this.buffered < this.expected) break;
        out.push(this.decodeMessage(this.take(this.expected)));
        this.expected = 0;
      }
    } catch (err) {
      this.failed = err instanceof EventStreamError ? err : new EventStreamError(String(err));
      this.chunks = [];
      this.buffered = 0;
      throw this.failed;
    }
    return out;
  }

  /** Call at end of input: leftover bytes mean the stream was cut mid-message. */
  end(): void {
    if (this.failed) throw this.failed;
    if (this.buffered > 0) {
      this.failed = new EventStreamError(`stream ended inside a message (${this.buffered} bytes left over)`);
      throw this.failed;
    }
  }

  private checkPrelude(p: Buffer): number {
    const total = p.readUInt32BE(0);
    const headersLen = p.readUInt32BE(4);
    const want = p.readUInt32BE(8);
    const got = crc32(p.subarray(0, 8));
    if (want !== got) throw new EventStreamError(`prelude CRC mismatch (expected ${hex(want)}, computed ${hex(got)})`);
    if (total > this.maxMessageBytes) {
      throw new EventStreamError(`message of ${total} bytes exceeds the ${this.maxMessageBytes}-byte limit`);
    }
    if (total < OVERHEAD || headersLen > total - OVERHEAD) {
      throw new EventStreamError(`invalid lengths in prelude (total ${total}, headers ${headersLen})`);
    }
    return total;
  }

  private decodeMessage(msg: Buffer): EventStreamMessage {
    const want = msg.readUInt32BE(msg.length - 4);
    const got = crc32(msg.subarray(0, msg.length - 4));
    if (want !== got) throw new EventStreamError(`message CRC mismatch (expected ${hex(want)}, computed ${hex(got)})`);
    const headersLen = msg.readUInt32BE(4);
    const headers = decodeHeaders(msg.subarray(PRELUDE, PRELUDE + headersLen));
    // Own copy of the payload so it does not pin the (possibly large) network chunk.
    const payload = Buffer.from(msg.subarray(PRELUDE + headersLen, msg.length - 4));
    return { headers, payload };
  }

  private peek(n: number): Buffer {
    if (this.chunks[0]!.length < n) this.chunks = [Buffer.concat(this.chunks)];
    return this.chunks[0]!.subarray(0, n);
  }

  private take(n: number): Buffer {
    const head = this.peek(n);
    const first = this.chunks[0]!;
    if (first.length === n) this.chunks.shift();
    else this.chunks[0] = first.subarray(n);
    this.buffered -= n;
    return head;
  }
}

function hex(n: number): string {
  return `0x${n.toString(16).padStart(8, '0')}`;
}

/** Decodes a whole async byte source (e.g. an undici body) into messages, failing on a cut. */
export async function* decodeEventStream(
  source: AsyncIterable<Uint8Array>,
  maxMessageBytes = DEFAULT_MAX_MESSAGE_BYTES,
): AsyncGenerator<EventStreamMessage> {
  const decoder = new EventStreamDecoder(maxMessageBytes);
  for await (const chunk of source) yield* decoder.push(chunk);
  decoder.end();
}

// ---- Bedrock ConverseStream interpretation -----------------------------------------------
export type BedrockStreamEvent =
  /** `:message-type: event`; `type` is `:event-type` (messageStart, contentBlockDelta, ...). */
  | { kind: 'event'; type: string; body: Record<string, unknown> }
  /** `:message-type: exception`; `type` is `:exception-type` (e.g. throttlingException). */
  | { kind: 'exception'; type: string; message: string; body: Record<string, unknown> }
  /** `:message-type: error`: a transport-level error with `:error-code` / `:error-message`. */
  | { kind: 'error'; type: string; message: string; body: Record<string, unknown> };

function jsonObject(payload: Buffer, what: string): Record<string, unknown> {
  if (payload.length === 0) return {};
  let parsed: unknown;
  try {
    parsed = parseJson(payload.toString('utf8'), UNTRUSTED_JSON);
  } catch (err) {
    throw new EventStreamError(`${what}: payload is ${err instanceof JsonRefusedError && err.problem === 'depth' ? err.message : 'not JSON'}`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new EventStreamError(`${what}: payload is not a JSON object`);
  }
  return parsed as Record<string, unknown>;
}

function stringHeader(m: EventStreamMessage, name: string): string | undefined {
  const v = m.headers[name];
  return typeof v === 'string' ? v : undefined;
}

/** Reads one decoded message as a Bedrock ConverseStream event, exception or error. */
export function interpretBedrockMessage(m: EventStreamMessage): BedrockStreamEvent {
  const messageType = stringHeader(m, ':message-type');
  if (messageType === 'event') {
    const type = stringHeader(m, ':event-type');
    if (!type) throw new EventStreamError('event message without :event-type');
    return { kind: 'event', type, body: jsonObject(m.payload, type) };
  }
  if (messageType === 'exception') {
    const type = stringHeader(m, ':exception-type') ?? 'unknownException';
    const body = jsonObject(m.payload, type);
    const message = typeof body.message === 'string' ? body.message
      : typeof body.Message === 'string' ? body.Message : type;
    return { kind: 'exception', type, message, body };
  }
  if (messageType === 'error') {
    const type = stringHeader(m, ':error-code') ?? 'UnknownError';
    return { kind: 'error', type, message: stringHeader(m, ':error-message') ?? type, body: {} };
  }
  throw new EventStreamError(`unknown :message-type ${JSON.stringify(messageType ?? null)}`);
}
