// Usage accounting on the Responses pass-through path (openai, azure), without buffering
// the answer. Like OpenAIStreamUsage it is a stream stage: events come whole from the relay
// (an unfinished event is held back, up to the backend's maxEventBytes, so the client is
// always between events when an error event has to be written) and nothing is changed. Only
// events that mention "usage" are looked at, and then only their usage object is parsed:
// response.completed repeats the whole output and the echoed instructions, which can be
// large, so the event itself is never JSON-parsed. The last `sequence_number` forwarded is
// kept too (found from the end of what goes out), so an error event the gateway adds after
// a broken stream continues the numbering.
import { parseJson, SseFramer, sseEvents, UNTRUSTED_JSON, type StageSink, type StreamStage } from '../core/index.js';
import { isObject } from './openai-errors.js';
import type { Usage } from './usage.js';

/** The events that carry a whole response object, with its usage once it is known. */
const FINAL_TYPES = /(?:"|event: ?)response\.(?:completed|incomplete|failed)\b/;
/** Outside JSON strings (where quotes are escaped) this can only be the key; only events have one. */
const SEQUENCE_KEY = Buffer.from('"sequence_number"');
const SEQUENCE_VALUE = /^\s*:\s*(\d{1,15})/;

export class ResponsesStreamUsage implements StreamStage {
  usage: Usage | null = null;
  /** The sequence_number of the last event passed on; -1 before any. */
  lastSequence = -1;
  readonly #maxEventBytes: number;
  /** Only for push(): the relay frames for the stage. */
  #framer: SseFramer | null = null;

  constructor(maxEventBytes: number) {
    this.#maxEventBytes = maxEventBytes;
  }

  /** Stage: whole events in, the same out. */
  event(piece: Buffer | string, out: StageSink): void {
    out.push(this.#read(typeof piece === 'string' ? Buffer.from(piece) : piece));
  }

  /** Takes an upstream chunk; returns the whole events to forward (maybe none). Throws SseEventTooLarge past the cap. */
  push(chunk: Buffer): Buffer {
    const buf = (this.#framer ??= new SseFramer(this.#maxEventBytes)).push(chunk);
    return buf.length === 0 ? buf : this.#read(buf);
  }

  /** What is still held when the upstream ends (an unfinished event), passed on as it is. */
  flush(): Buffer | null {
    return this.#framer?.flush() ?? null;
  }

  #read(buf: Buffer): Buffer {
    if (buf.includes('"usage"')) this.#scan(buf);
    this.#sequence(buf);
    return buf;
  }

  /**
   * Notes the last sequence_number in `buf` (what goes out). Searched from the end, so only
   * the last event is looked at.
   */
  #sequence(buf: Buffer): void {
    const at = buf.lastIndexOf(SEQUENCE_KEY);
    if (at === -1) return;
    const start = at + SEQUENCE_KEY.length;
    const m = SEQUENCE_VALUE.exec(buf.toString('latin1', start, Math.min(buf.length, start + 24)));
    if (m !== null) this.lastSequence = Number(m[1]);
  }

  /** Reads usage from the final events among the whole events in `buf`. */
  #scan(buf: Buffer): void {
    for (const ev of sseEvents(buf)) {
      if (!ev.includes('"usage"') || !FINAL_TYPES.test(ev)) continue;
      const u = usageIn(ev);
      if (u !== null) this.usage = u;
    }
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
