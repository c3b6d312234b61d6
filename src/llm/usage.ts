// Usage accounting on the pass-through path, without buffering responses. For OpenAI
// streams the gateway always asks upstream for the usage chunk (stream_options.include_usage)
// and drops it again when the client did not ask (DESIGN "Contract details"). Events are
// forwarded whole: an unfinished event is held back until its blank line arrives, so the
// client is always between events when an error event has to be written. Only events that
// mention "usage" are decoded and parsed; the others pass as the bytes they came in.
import { sseEventEnd } from '../core/index.js';
import { isObject } from './openai-errors.js';

export interface Usage {
  inputTokens: number | null;
  outputTokens: number | null;
}

/** An unfinished event longer than this is passed on as it is (memory stays bounded). */
const HOLD_LIMIT = 1024 * 1024;
const EVENT_SPLIT = /\r\n\r\n|\n\n|\r\r/;

export class OpenAIStreamUsage {
  usage: Usage | null = null;
  readonly #dropUsageChunk: boolean;
  #held: Buffer | null = null;

  /** `dropUsageChunk`: the client did not ask for include_usage. */
  constructor(dropUsageChunk: boolean) {
    this.#dropUsageChunk = dropUsageChunk;
  }

  /** Takes an upstream chunk; returns the whole events to forward (maybe none). */
  push(chunk: Buffer): Buffer {
    let buf = chunk;
    if (this.#held !== null) {
      buf = Buffer.concat([this.#held, chunk]);
      this.#held = null;
    }
    const end = sseEventEnd(buf);
    if (end < buf.length) {
      if (buf.length - end > HOLD_LIMIT) return this.#events(buf);
      this.#held = buf.subarray(end);
      buf = buf.subarray(0, end);
    }
    return buf.length === 0 ? buf : this.#events(buf);
  }

  /** What is still held when the upstream ends (an unfinished event), passed on as it is. */
  flush(): Buffer | null {
    const held = this.#held;
    this.#held = null;
    return held;
  }

  #events(buf: Buffer): Buffer {
    if (!buf.includes('"usage"')) return buf;
    const events = buf.toString('utf8').split(EVENT_SPLIT);
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

  /** Records the usage of one event; true when the event is the usage chunk to drop. */
  #read(ev: string): boolean {
    let data = '';
    for (const line of ev.split(/\r\n|\n|\r/)) {
      if (line.startsWith('data:')) data += (data === '' ? '' : '\n') + line.slice(line.charCodeAt(5) === 32 ? 6 : 5);
    }
    let obj: unknown;
    try {
      obj = JSON.parse(data);
    } catch {
      return false;
    }
    if (!isObject(obj) || !isObject(obj.usage)) return false;
    this.usage = usageOf(obj.usage);
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
    const text = this.#tail.toString('utf8');
    const at = text.lastIndexOf('"usage"');
    if (at === -1) return null;
    const rest = text.slice(at);
    const num = (field: string): number | null => {
      const m = new RegExp(`"${field}"\\s*:\\s*(\\d+)`).exec(rest);
      return m ? Number(m[1]) : null;
    };
    return { inputTokens: num('prompt_tokens'), outputTokens: num('completion_tokens') };
  }
}

function usageOf(u: Record<string, unknown>): Usage {
  const n = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : null);
  return { inputTokens: n(u.prompt_tokens), outputTokens: n(u.completion_tokens) };
}
