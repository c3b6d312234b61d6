// The one relay of a streamed answer to the client, and the stages it runs. Every stream
// the gateway passes on (the http backend's, the LLM fronts' passed-through and translated
// answers) goes through `StreamRelay`: it reads an upstream body with backpressure (the
// source is paused while the client's socket is full and resumed on drain), frames SSE
// once (SseFramer, with the backend's cap) or passes raw bytes, runs the stages in order,
// writes what comes out, and ends the response exactly once: normally, or with ONE
// terminal error event rendered in the client's format by the front's renderer (STYLE 4).
// Nothing is written after it. The relay does not write the headers: the caller does, once,
// before it starts the relay.
//
// A stage sees whole events (SSE framing) or bytes as they came (raw). In SSE framing a
// stage is handed the events one upstream chunk completed, as one Buffer region (a cheap
// view: providers send one event per chunk, and a region is never copied): a stage that
// only needs some events (usage in OpenAI's last chunk) searches the bytes natively and
// decodes nothing else; one that reads every event splits the region with sseEvents().
// Stages: usage readers, the secret mask, format translators, and (next) guardrail windows.
import type { ServerResponse } from 'node:http';
import type { RequestContext } from './context.js';
import { GatewayError } from './errors.js';
import type { SecretMaskStream } from './secret-mask.js';
import { SseFramer } from './sse.js';

/** Where a stage writes: the next stage, or the client after the last one. */
export interface StageSink {
  /** Passes bytes or text on; empty pieces are dropped. */
  push(piece: Buffer | string): void;
}

export interface StreamStage {
  /**
   * Takes whole events (SSE framing: one or more, as one chunk completed them) or raw bytes,
   * and writes zero or more pieces to `out`. A throw (a GatewayError: an event that is not
   * JSON, …) fails the stream: the upstream is aborted and the client gets the terminal error event.
   */
  event(piece: Buffer | string, out: StageSink): void;
  /** The upstream ended: write what is still held. A throw fails the stream as above. */
  end?(out: StageSink): void;
  /**
   * The stream failed and its terminal error event is about to be written: write what is
   * held that ends whole events (the secret mask's tail), or nothing.
   */
  error?(err: GatewayError, out: StageSink): void;
  /**
   * SSE framing, heldAtEnd 'pass', first stage only: the unfinished event the upstream
   * ended inside, passed on as it is by default (later stages, such as the mask, see it as bytes).
   */
  held?(bytes: Buffer, out: StageSink): void;
}

/** An upstream body the relay reads (llm/answer.ts Answer; the http backend's handler). */
export interface StreamSource {
  pause(): void;
  resume(): void;
  abort(err: Error): void;
}

/** The terminal error event in the client's format; null: none can be written, the response is reset. */
export type StreamErrorRenderer = (ctx: RequestContext, err: GatewayError) => string | Buffer | null;

export interface StreamRelayOptions {
  /** 'sse': whole events, capped at maxEventBytes; 'raw': bytes as they come. */
  readonly framing: 'sse' | 'raw';
  readonly maxEventBytes?: number;
  /** SSE: an event past the cap passes as it comes (a plain proxy that does not read it); an error inside it resets the stream. */
  readonly release?: boolean;
  /** SSE: an unfinished event the upstream ended inside is passed on ('pass', through the stages' held()) or dropped. */
  readonly heldAtEnd?: 'pass' | 'drop';
  readonly stages: readonly StreamStage[];
  /** Renders the one terminal error event; null: the answer is not an event stream (the response is reset). */
  readonly renderError: StreamErrorRenderer | null;
  /**
   * Maps a failure to the error the client sees, and counts it. `here`: raised by the
   * relay (the cap) or a stage rather than reported by the upstream.
   */
  failure(err: unknown, here: boolean): GatewayError;
  /** After each upstream chunk went through the stages (accounting as it goes). */
  readonly afterChunk?: () => void;
  /**
   * After the stages ended: an error to end the stream with instead (the caller counted it),
   * or null to end it normally.
   */
  readonly verdict?: () => GatewayError | null;
  /** The stream's own terminal event already went out: a failure after it just ends the response. */
  readonly answered?: () => boolean;
  /** Right before the response ends, whatever the outcome (usage settled before the access log). */
  readonly settle?: () => void;
  /** Once the exchange is over, whatever its outcome. */
  readonly done?: () => void;
}

/** A sink feeding stage `stage` (then the sink after it). */
class StageLink implements StageSink {
  readonly #stage: StreamStage;
  readonly next: StageSink;
  constructor(stage: StreamStage, next: StageSink) { this.#stage = stage; this.next = next; }
  push(piece: Buffer | string): void {
    if (piece.length !== 0) this.#stage.event(piece, this.next);
  }
}

/**
 * Relays one upstream body to the client through the stages. Feed it with onData / onEnd /
 * onError (it is an llm/answer.ts AnswerReader, and the http backend calls it from its
 * undici handler). The client leaving is the caller's to notice (it aborts the source);
 * the relay then writes nothing more.
 */
export class StreamRelay implements StageSink {
  readonly #ctx: RequestContext;
  readonly #res: ServerResponse;
  readonly #source: StreamSource;
  readonly #opts: StreamRelayOptions;
  readonly #framer: SseFramer | null;
  /** The first stage, called directly (null: pieces go straight to the client). */
  readonly #first: StreamStage | null;
  /** Sinks after each stage, in order. */
  readonly #outs: StageSink[];
  #onDrain: (() => void) | null = null;
  #waiting = false;
  /** A failure raised here (the cap, a stage) while the source is being aborted. */
  #failed: unknown = null;
  #over = false;

  constructor(ctx: RequestContext, source: StreamSource, opts: StreamRelayOptions) {
    this.#ctx = ctx;
    this.#res = ctx.res;
    this.#source = source;
    this.#opts = opts;
    this.#framer = opts.framing === 'sse' ? new SseFramer(opts.maxEventBytes ?? Infinity, { release: opts.release === true }) : null;
    // The relay is the last sink (its push writes to the client); each stage writes into a
    // link to the next. The first stage is called directly: one call less per chunk.
    const stages = opts.stages;
    const outs = new Array<StageSink>(stages.length);
    for (let i = stages.length - 1; i >= 0; i--) {
      outs[i] = i === stages.length - 1 ? this : new StageLink(stages[i + 1]!, outs[i + 1]!);
    }
    this.#first = stages.length === 0 ? null : stages[0]!;
    this.#outs = outs;
  }

  onData(chunk: Buffer): void {
    // The client is gone (the caller aborts the source), or the stream already failed.
    if (this.#failed !== null || this.#over || this.#res.destroyed) return;
    try {
      const piece = this.#framer === null ? chunk : this.#framer.push(chunk);
      if (piece.length !== 0) {
        if (this.#first === null) this.write(piece);
        else this.#first.event(piece, this.#outs[0]!);
      }
      this.#opts.afterChunk?.();
    } catch (err) {
      // An event past the cap, or a stage's refusal: the upstream is aborted, and the client
      // gets the error event when the source reports the abort.
      this.#failed = err;
      this.#source.abort(err instanceof Error ? err : new Error(String(err)));
    }
  }

  onEnd(): void {
    if (this.#failed !== null) { this.onError(this.#failed as Error); return; }
    if (this.#over) return;
    try {
      this.#endStages();
    } catch (err) {
      this.#failed = err;
      this.onError(err as Error);
      return;
    }
    this.#over = true;
    this.#opts.settle?.();
    if (!this.#res.destroyed) {
      const verdict = this.#opts.verdict?.() ?? null;
      if (verdict === null) {
        this.#res.end();
      } else {
        this.#ctx.errorCode = verdict.code;
        this.#terminal(verdict, false);
      }
    }
    this.#finish();
  }

  onError(err: Error): void {
    if (this.#over) return;
    this.#over = true;
    this.#unwait();
    this.#opts.settle?.();
    const ctx = this.#ctx;
    const res = this.#res;
    if (!ctx.clientAborted && !res.destroyed && !res.writableEnded) {
      const here = this.#failed !== null;
      const e = this.#opts.failure(here ? this.#failed : err, here);
      ctx.errorCode = e.code;
      this.#terminal(e, this.#opts.answered?.() === true);
    }
    this.#finish();
  }

  /** The last sink: what the last stage writes goes to the client. */
  push(piece: Buffer | string): void { this.write(piece); }

  /** Writes a piece to the client, pausing the source while the socket is full. */
  write(piece: Buffer | string): void {
    const res = this.#res;
    if (piece.length === 0 || res.destroyed) return;
    this.#ctx.bytesOut += typeof piece === 'string' ? Buffer.byteLength(piece) : piece.length;
    if (!res.write(piece) && !this.#waiting) {
      this.#waiting = true;
      this.#source.pause();
      res.once('drain', this.#onDrain ??= () => { this.#waiting = false; this.#source.resume(); });
    }
  }

  /** The stages' end hooks in order, each writing into the next; the held unfinished event first. */
  #endStages(): void {
    const stages = this.#opts.stages;
    const held = this.#framer?.flush() ?? null;
    const passHeld = held !== null && this.#opts.heldAtEnd === 'pass';
    if (passHeld && stages.length === 0) this.write(held);
    for (let i = 0; i < stages.length; i++) {
      const s = stages[i]!;
      if (passHeld && i === 0) {
        if (s.held !== undefined) s.held(held, this.#outs[0]!);
        else this.#outs[0]!.push(held);
      }
      s.end?.(this.#outs[i]!);
    }
  }

  /**
   * The one terminal error event, after what the stages still hold (or, `answered`, the
   * plain end of a stream whose own last event went out); a reset when none can be written.
   */
  #terminal(e: GatewayError, answered: boolean): void {
    const res = this.#res;
    if (res.destroyed || res.writableEnded) return;
    const render = this.#opts.renderError;
    if (!answered && (render === null || this.#framer?.midEvent === true)) {
      // No error argument: that would surface as a listener 'clientError'.
      res.destroy();
      return;
    }
    const stages = this.#opts.stages;
    try {
      for (let i = 0; i < stages.length; i++) stages[i]!.error?.(e, this.#outs[i]!);
    } catch {
      // A stage that cannot flush only loses its tail: the terminal event still goes out.
    }
    const event = answered ? null : render!(this.#ctx, e);
    // The error event is not counted in bytesOut (it never was).
    if (event === null && !answered) res.destroy();
    else res.end(event ?? undefined);
  }

  #unwait(): void {
    if (this.#onDrain !== null) this.#res.off('drain', this.#onDrain);
    this.#waiting = false;
  }

  #finish(): void {
    this.#opts.done?.();
  }
}

/**
 * The secret mask as a stage (secret-mask.ts): same-length masking, holding back only a
 * possible start of a secret, flushed at the end and before a terminal error event.
 */
export function maskStage(mask: SecretMaskStream): StreamStage {
  return {
    event(piece, out) { out.push(mask.push(typeof piece === 'string' ? Buffer.from(piece) : piece)); },
    end(out) { const held = mask.flush(); if (held !== null) out.push(held); },
    error(_err, out) { const held = mask.flush(); if (held !== null) out.push(held); },
  };
}
