// Usage accounting on the Responses pass-through path (openai, azure), without buffering
// the answer. Like OpenAIStreamUsage, events are forwarded whole (an unfinished event is
// held back, so the client is always between events when an error event has to be
// written) and nothing is changed. Only events that mention "usage" are looked at, and
// then only their usage object is parsed: response.completed repeats the whole output and
// the echoed instructions, which can be large, so the event itself is never JSON-parsed.
// The last `sequence_number` forwarded is kept too (found from the end of what goes out),
// so an error event the gateway adds after a broken stream continues the numbering.
import { parseJson, sseEventEnd, UNTRUSTED_JSON } from '../core/index.js';
import { isObject } from './openai-errors.js';
import type { Usage } from './usage.js';

/** An unfinished event longer than this is passed on as it is (memory stays bounded). */
const HOLD_LIMIT = 1024 * 1024;
/**
 * What is kept of an event passed on unfinished, to find its usage when it ends. In the
 * response object only `user` and `metadata` (at most 16 × 576 characters) follow `usage`.
 */
const TAIL = 64 * 1024;
const EVENT_SPLIT = /\r\n\r\n|\n\n|\r\r/;
/** The events that carry a whole response object, with its usage once it is known. */
const FINAL_TYPES = /(?:"|event: ?)response\.(?:completed|incomplete|failed)\b/;
/** How much of an event passed on unfinished is searched for its type (event line, then type key). */
const HEAD = 4096;
/** Outside JSON strings (where quotes are escaped) this can only be the key; only events have one. */
const SEQUENCE_KEY = Buffer.from('"sequence_number"');
const SEQUENCE_VALUE = /^\s*:\s*(\d{1,15})/;

export class ResponsesStreamUsage {
  usage: Usage | null = null;
  /** The sequence_number of the last event passed on; -1 before any. */
  lastSequence = -1;
  #held: Buffer | null = null;
  /** The end of an event passed on before it finished ('' when none is pending). */
  #tail = '';
  /** Whether that event is a final one (its type was in its start, long passed on). */
  #tailFinal = false;

  /** Takes an upstream chunk; returns the whole events to forward (maybe none). */
  push(chunk: Buffer): Buffer {
    let buf = chunk;
    if (this.#held !== null) {
      buf = Buffer.concat([this.#held, chunk]);
      this.#held = null;
    }
    const end = sseEventEnd(buf);
    if (end < buf.length && buf.length - end <= HOLD_LIMIT) {
      this.#held = buf.subarray(end);
      buf = buf.subarray(0, end);
      this.#scan(buf);
      this.#sequence(buf);
      return buf;
    }
    // Everything goes out; an unfinished event too large to hold leaves its tail behind.
    this.#scan(buf.subarray(0, end));
    this.#sequence(buf);
    if (end < buf.length) {
      const rest = buf.subarray(end).toString('utf8');
      if (this.#tail === '') this.#tailFinal = FINAL_TYPES.test(rest.slice(0, HEAD));
      this.#tail = (this.#tail + rest).slice(-TAIL);
    }
    return buf;
  }

  /** What is still held when the upstream ends (an unfinished event), passed on as it is. */
  flush(): Buffer | null {
    const held = this.#held;
    this.#held = null;
    return held;
  }

  /**
   * Notes the last sequence_number in `buf` (what goes out). Searched from the end, so only
   * the last event is looked at; a number cut off at the end of an unheld event is missed
   * (the one before it stays).
   */
  #sequence(buf: Buffer): void {
    const at = buf.lastIndexOf(SEQUENCE_KEY);
    if (at === -1) return;
    const start = at + SEQUENCE_KEY.length;
    const m = SEQUENCE_VALUE.exec(buf.toString('latin1', start, Math.min(buf.length, start + 24)));
    if (m !== null) this.lastSequence = Number(m[1]);
  }

  /** Reads usage from the complete events in `buf` (a continued large event first). */
  #scan(buf: Buffer): void {
    if (buf.length === 0) return;
    const pending = this.#tail;
    if (pending === '' && !buf.includes('"usage"')) return;
    this.#tail = '';
    const events = buf.toString('utf8').split(EVENT_SPLIT);
    const first = events[0] ?? '';
    events.forEach((ev, i) => {
      // The first event may end one whose start was passed on earlier: its tail and type are kept.
      const continued = i === 0 && pending !== '';
      const text = continued ? pending + first : ev;
      if (!text.includes('"usage"') || !(continued ? this.#tailFinal : FINAL_TYPES.test(ev))) return;
      const u = usageIn(text);
      if (u !== null) this.usage = u;
    });
  }
}

/** Usage of a whole Responses JSON answer (a `response` object), or null without one. */
export function responseJsonUsage(raw: Buffer | string): Usage | null {
  return usageIn(typeof raw === 'string' ? raw : raw.toString('utf8'));
}

/**
 * The last `"usage": {…}` object in `text`, parsed alone. Inside JSON strings quotes are
 * escaped, so `"usage"` with bare quotes can only be a key; the usage object holds numbers
 * and nested objects only, so counting braces finds its end.
 */
function usageIn(text: string): Usage | null {
  const at = text.lastIndexOf('"usage"');
  if (at === -1) return null;
  const open = text.indexOf('{', at);
  if (open === -1 || !/^\s*:\s*$/.test(text.slice(at + 7, open))) return null;
  let depth = 0;
  let close = -1;
  for (let i = open; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 123) depth++;
    else if (c === 125 && --depth === 0) {
      close = i;
      break;
    }
  }
  if (close === -1) return null;
  let obj: unknown;
  try {
    obj = parseJson(text.slice(open, close + 1), UNTRUSTED_JSON);
  } catch {
    return null;
  }
  if (!isObject(obj)) return null;
  const n = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
  const details = isObject(obj.input_tokens_details) ? obj.input_tokens_details : {};
  // input_tokens already includes the cached tokens, as Usage.inputTokens does.
  return {
    inputTokens: n(obj.input_tokens), outputTokens: n(obj.output_tokens),
    cacheReadTokens: n(details.cached_tokens), cacheWriteTokens: n(details.cache_write_tokens),
  };
}
