// Usage accounting on the pass-through path, without buffering responses. For OpenAI
// streams the gateway always asks upstream for the usage chunk (stream_options.include_usage)
// and drops it again when the client did not ask (DESIGN "Contract details"). The reader is
// a stream stage (core/stream-stages.ts): the relay hands it whole events, framed once (an
// unfinished event is held back up to the backend's maxEventBytes), so the client is always
// between events when an error event has to be written; `push`/`flush` frame for themselves,
// for a reader used alone. Only events that mention "usage" are decoded and parsed; the
// others pass as the bytes they came in, and are only counted (a byte search), so a stream
// cut before its usage chunk can be estimated.
import { parseJson, SseFramer, sseData, sseEvents, UNTRUSTED_JSON, type StageSink, type StreamStage } from '../core/index.js';
import { isObject } from './openai-errors.js';

/**
 * Tokens of one LLM call, as the provider reported them (null: it did not say).
 * `inputTokens` is all input, cache reads and writes included (OpenAI's prompt_tokens);
 * `cacheReadTokens` and `cacheWriteTokens` are the parts of it read from / written to the
 * provider's prompt cache, which are priced at their own rates.
 */
export interface Usage {
  inputTokens: number | null;
  outputTokens: number | null;
  cacheReadTokens: number | null;
  cacheWriteTokens: number | null;
}

/** Bytes that start an SSE data line after the first line of a buffer. */
const DATA_LINE = Buffer.from('\ndata:');

export class OpenAIStreamUsage implements StreamStage {
  usage: Usage | null = null;
  readonly #dropUsageChunk: boolean;
  readonly #maxEventBytes: number;
  /** Only for push(): the relay frames for the stage. */
  #framer: SseFramer | null = null;
  #dataEvents = 0;

  /** `dropUsageChunk`: the client did not ask for include_usage. */
  constructor(dropUsageChunk: boolean, maxEventBytes: number) {
    this.#dropUsageChunk = dropUsageChunk;
    this.#maxEventBytes = maxEventBytes;
  }

  /** Stage: whole events in, the events to forward out (the usage chunk dropped when the client did not ask). */
  event(piece: Buffer | string, out: StageSink): void {
    out.push(this.#events(typeof piece === 'string' ? Buffer.from(piece) : piece));
  }

  /** Takes an upstream chunk; returns the whole events to forward (maybe none). Throws SseEventTooLarge past the cap. */
  push(chunk: Buffer): Buffer {
    const buf = (this.#framer ??= new SseFramer(this.#maxEventBytes)).push(chunk);
    return buf.length === 0 ? buf : this.#events(buf);
  }

  /** What is still held when the upstream ends (an unfinished event), passed on as it is. */
  flush(): Buffer | null {
    return this.#framer?.flush() ?? null;
  }

  /**
   * Data events seen after the first, for estimateUsage (estimate.ts) when the stream ends
   * before its usage chunk. OpenAI sends about one token per chunk and opens with a chunk
   * that only names the role, so this approximates the output tokens streamed so far; a
   * provider that batches tokens into fewer chunks is undercounted.
   */
  get outputEvents(): number {
    return this.#dataEvents > 1 ? this.#dataEvents - 1 : 0;
  }

  #events(buf: Buffer): Buffer {
    this.#countDataEvents(buf);
    if (!buf.includes('"usage"')) return buf;
    const events = sseEvents(buf);
    let dropped = false;
    const kept: string[] = [];
    for (const ev of events) {
      if (ev.includes('"usage"') && this.#read(ev)) {
        dropped = true;
        continue;
      }
      kept.push(ev);
    }
    if (!dropped) return buf;
    const text = kept.join('\n\n');
    return Buffer.from(text.trim() === '' ? '' : text);
  }

  /**
   * Counts data lines with native byte searches, no decoding: `buf` starts at an event
   * boundary, and a newline inside a JSON payload is escaped, so every line starting with
   * "data:" is one event (OpenAI never splits one event's data over several lines).
   */
  #countDataEvents(buf: Buffer): void {
    // "data:" at the very start, byte by byte (no view allocated).
    let n = buf.length >= 5 && buf[0] === 0x64 && buf[1] === 0x61 && buf[2] === 0x74 && buf[3] === 0x61 && buf[4] === 0x3a ? 1 : 0;
    for (let at = buf.indexOf(DATA_LINE); at !== -1; at = buf.indexOf(DATA_LINE, at + DATA_LINE.length)) n++;
    this.#dataEvents += n;
  }

  /** Records the usage of one event; true when the event is the usage chunk to drop. */
  #read(ev: string): boolean {
    const data = sseData(ev);
    let obj: unknown;
    try {
      obj = parseJson(data, UNTRUSTED_JSON);
    } catch {
      return false;
    }
    if (!isObject(obj) || !isObject(obj.usage)) return false;
    this.usage = openAIUsage(obj.usage);
    return this.#dropUsageChunk && Array.isArray(obj.choices) && obj.choices.length === 0;
  }
}

/**
 * Usage from the end of a JSON response (OpenAI puts `usage` last), read from a rolling
 * tail so the body streams through unbuffered.
 */
export class JsonUsageTail {
  static readonly SIZE = 64 * 1024;
  #tail: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): void {
    const joined = this.#tail.length === 0 ? chunk : Buffer.concat([this.#tail, chunk]);
    this.#tail = joined.length > JsonUsageTail.SIZE ? joined.subarray(joined.length - JsonUsageTail.SIZE) : joined;
  }

  usage(): Usage | null {
    // Found in the bytes and only what follows decoded: an ASCII key is the same bytes in
    // UTF-8 wherever it is (no multi-byte sequence contains an ASCII byte).
    const at = this.#tail.lastIndexOf(USAGE_KEY);
    if (at === -1) return null;
    const rest = this.#tail.toString('utf8', at);
    return {
      inputTokens: tailNumber(rest, PROMPT_TOKENS),
      outputTokens: tailNumber(rest, COMPLETION_TOKENS),
      // Inside prompt_tokens_details; completion_tokens_details has no field of that name.
      cacheReadTokens: tailNumber(rest, CACHED_TOKENS),
      cacheWriteTokens: null,
    };
  }
}

const USAGE_KEY = Buffer.from('"usage"');
const PROMPT_TOKENS = /"prompt_tokens"\s*:\s*(\d+)/;
const COMPLETION_TOKENS = /"completion_tokens"\s*:\s*(\d+)/;
const CACHED_TOKENS = /"cached_tokens"\s*:\s*(\d+)/;

function tailNumber(text: string, re: RegExp): number | null {
  const m = re.exec(text);
  return m ? Number(m[1]) : null;
}

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : null);

/**
 * Usage from an OpenAI `usage` object: prompt_tokens already includes the cached tokens
 * (prompt_tokens_details.cached_tokens). OpenAI reports no cache writes (it does not
 * charge for them), so those stay unknown.
 */
export function openAIUsage(u: Record<string, unknown>): Usage {
  const details = u.prompt_tokens_details;
  return {
    inputTokens: num(u.prompt_tokens),
    outputTokens: num(u.completion_tokens),
    cacheReadTokens: isObject(details) ? num(details.cached_tokens) : null,
    cacheWriteTokens: null,
  };
}

/**
 * Merges an Anthropic Messages `usage` object into what is known so far (`prev`):
 * message_start carries the input side, message_delta the output (and, lately, the input
 * again). Anthropic's input_tokens leaves out cache reads and writes; the gateway's
 * inputTokens includes them, as OpenAI's prompt_tokens does.
 */
export function anthropicUsage(prev: Usage | null, u: Record<string, unknown>): Usage {
  const input = num(u.input_tokens);
  const output = num(u.output_tokens) ?? prev?.outputTokens ?? null;
  if (input === null) {
    return {
      inputTokens: prev?.inputTokens ?? null,
      outputTokens: output,
      cacheReadTokens: prev?.cacheReadTokens ?? null,
      cacheWriteTokens: prev?.cacheWriteTokens ?? null,
    };
  }
  // A usage object with input_tokens but without the cache fields keeps the earlier ones.
  const read = num(u.cache_read_input_tokens) ?? prev?.cacheReadTokens ?? 0;
  const write = num(u.cache_creation_input_tokens) ?? prev?.cacheWriteTokens ?? 0;
  return { inputTokens: input + read + write, outputTokens: output, cacheReadTokens: read, cacheWriteTokens: write };
}
