// The base of every provider's stream translator (upstream events → OpenAI
// chat.completion.chunk events): the chunk framing, the role-carrying first chunk, the
// usage chunk and `[DONE]`, and the upstream's error event in OpenAI form. A provider's
// translator only reads its own events. SSE providers extend SseChunkTranslator: in the
// relay they get whole events (framed once by core's StreamRelay, `events()`); `push()`
// frames for itself, for a translator used alone.
import { SseEventReader, sseEvents } from '../../core/index.js';
import type { LlmModelSpec } from '../spec.js';
import { scrubUpstreamText } from '../upstream-secrets.js';
import type { Usage } from '../usage.js';
import type { StreamTranslator } from './provider.js';

type Json = Record<string, unknown>;

export abstract class ChunkTranslator implements StreamTranslator {
  finished = false;
  failed = false;
  protected readonly model: LlmModelSpec;
  protected readonly includeUsage: boolean;
  /** The chunks' id: the upstream's message id once known. */
  protected id: string;
  readonly #created = Math.floor(Date.now() / 1000);
  #started = false;

  constructor(model: LlmModelSpec, includeUsage: boolean, id: string) {
    this.model = model;
    this.includeUsage = includeUsage;
    this.id = id;
  }

  abstract push(chunk: Buffer): string;
  abstract get usage(): Usage | null;

  /** The first chunk carries the role; '' once it went out. */
  protected start(): string {
    if (this.#started) return '';
    this.#started = true;
    return this.chunk({ role: 'assistant', content: '' });
  }

  protected chunk(delta: Json, finish: string | null = null): string {
    return this.frame({ choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }] });
  }

  protected frame(rest: Json): string {
    return `data: ${JSON.stringify({ id: this.id, object: 'chat.completion.chunk', created: this.#created, model: this.model.name, ...rest })}\n\n`;
  }

  /** The end of the answer: the usage chunk (only with include_usage), then `[DONE]`. */
  protected done(usage: Json): string {
    this.finished = true;
    return (this.includeUsage ? this.frame({ choices: [], usage }) : '') + 'data: [DONE]\n\n';
  }

  /** The upstream's error event as one OpenAI error event (terminal; its text scrubbed). */
  protected upstreamError(message: unknown, type: unknown): string {
    this.finished = true;
    this.failed = true;
    const str = (v: unknown): string | null => (typeof v === 'string' ? scrubUpstreamText(v, this.model) : null);
    const text = str(message) ?? 'The upstream provider reported an error in the stream.';
    return `data: ${JSON.stringify({ error: { message: text, type: str(type) ?? 'api_error', param: null, code: 'AE_UPSTREAM_ERROR' } })}\n\n`;
  }
}

/** A translator of an SSE upstream: one event at a time, nothing after a terminal one. */
export abstract class SseChunkTranslator extends ChunkTranslator {
  /** Only for push(): in the relay, events() gets whole events. */
  #reader: SseEventReader | null = null;
  readonly #what: string;

  constructor(model: LlmModelSpec, includeUsage: boolean, id: string, what: string) {
    super(model, includeUsage, id);
    this.#what = what;
  }

  push(chunk: Buffer): string {
    if (this.finished) return '';
    return this.#translate((this.#reader ??= new SseEventReader(this.model.limits.maxEventBytes, this.#what)).push(chunk));
  }

  events(region: Buffer): string {
    return this.finished ? '' : this.#translate(sseEvents(region));
  }

  /** One whole event (text, without its blank line) → OpenAI chunk events. */
  protected abstract event(ev: string): string;

  #translate(events: string[]): string {
    let out = '';
    for (const ev of events) {
      if (this.finished) break;
      out += this.event(ev);
    }
    return out;
  }
}
