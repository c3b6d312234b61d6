// What the front translators share (Anthropic messages and Responses over a chat stream):
// they take OpenAI chat.completion.chunk events — whole ones from the provider stage of the
// relay (events()), or bytes at any chunk boundary when used alone (push(), framed here with
// the backend's event cap) — and give back whole events of their own format. Each subclass
// says only what one chat event becomes.
import { SseEventReader, sseTextEvents } from '../core/index.js';
import { readChatChunk } from './chat-chunk.js';

export abstract class ChatEventTranslator {
  readonly #maxEventBytes: number;
  /** Only for push(): in the relay, events() gets the provider stage's whole events. */
  #reader: SseEventReader | null = null;
  /** The stream is over (its end or its error was produced): later input is ignored. */
  finished = false;
  /** The upstream sent an error event; `errorMessage` says what (for logs; clients get the gateway's error). */
  failed = false;
  errorMessage = '';

  protected constructor(maxEventBytes: number) {
    this.#maxEventBytes = maxEventBytes;
  }

  /** Takes OpenAI chat SSE bytes at any chunk boundary; returns whole events of the front (maybe none). */
  push(chunk: Buffer | string): string {
    if (this.finished) return '';
    const reader = (this.#reader ??= new SseEventReader(this.#maxEventBytes, 'chat stream'));
    return this.#translate(reader.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk));
  }

  /** Takes whole OpenAI chat events (a provider stage's output); returns whole events of the front. */
  events(text: string): string {
    return this.finished ? '' : this.#translate(sseTextEvents(text));
  }

  #translate(events: string[]): string {
    let out = '';
    for (const ev of events) {
      if (this.finished) break;
      out += this.#event(ev);
    }
    return out;
  }

  /** One chat event: `[DONE]` ends the front's stream, an upstream error event fails it, a chunk is translated. */
  #event(ev: string): string {
    const c = readChatChunk(ev);
    if (c.kind === 'skip') return '';
    if (c.kind === 'done') return this.end();
    if (c.kind === 'error') {
      this.failed = true;
      this.finished = true;
      this.errorMessage = c.message;
      return '';
    }
    return this.translateChunk(c.chunk);
  }

  /** Ends the front's stream (on `[DONE]`, or when the upstream closed after its finish reason). */
  abstract end(): string;

  /** One chat.completion.chunk → the front's events for it. */
  protected abstract translateChunk(chunk: Record<string, unknown>): string;
}
