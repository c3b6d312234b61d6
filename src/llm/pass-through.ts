// The relay for answers in the client's own format (OpenAI chat to an OpenAI-API provider,
// Anthropic messages to Anthropic, Responses to OpenAI): bytes go to the client as they
// come, with backpressure. SSE goes event by event through a usage reader, which holds back
// an unfinished event (so an error event can follow cleanly) and reads usage in passing;
// a JSON answer is read for usage as it passes. The secrets the call sent upstream are
// masked in what goes out (upstream-secrets.ts: same length, so a JSON answer's
// Content-Length holds; an SSE answer is masked event by event, after its usage reader, so
// the mask holds nothing back: no form of a secret spans a blank line). Nothing is
// buffered whole.
import type { OutgoingHttpHeaders } from 'node:http';
import type { LlmModelSpec } from './spec.js';
import { GatewayError, sseOverflowError, type RequestContext, type SecretMaskStream } from '../core/index.js';
import { account, accountEstimate } from './account.js';
import type { Answer, AnswerReader } from './answer.js';
import { responseHeaders, type RelayIo } from './exchange.js';
import { answerMask } from './upstream-secrets.js';
import type { Usage } from './usage.js';

/** Passes SSE events through whole, reading usage (OpenAIStreamUsage, ResponsesStreamUsage, …). */
export interface SseUsageReader {
  /** The whole events `chunk` completes; throws SseEventTooLarge when an event passes the backend's cap. */
  push(chunk: Buffer): Buffer;
  /** An unfinished event still held when the upstream ended, passed on as it is. */
  flush(): Buffer | null;
  readonly usage: Usage | null;
}

/** Reads usage from a JSON answer as it passes (JsonUsageTail, BoundedJsonUsage). */
export interface JsonUsageReader {
  push(chunk: Buffer): void;
  usage(): Usage | null;
}

/** Largest JSON answer kept to read its usage when the format needs a whole parse. */
const MAX_USAGE_COPY = 4 * 1024 * 1024;

/** Keeps a JSON answer (up to 4 MiB) and reads its usage with `parse` at the end. */
export class BoundedJsonUsage implements JsonUsageReader {
  readonly #chunks: Buffer[] = [];
  #size = 0;
  readonly #parse: (raw: string) => Usage | null;
  constructor(parse: (raw: string) => Usage | null) { this.#parse = parse; }
  push(chunk: Buffer): void {
    if (this.#size + chunk.length > MAX_USAGE_COPY) { this.#size = Infinity; return; }
    this.#chunks.push(chunk);
    this.#size += chunk.length;
  }
  usage(): Usage | null {
    return this.#size === Infinity ? null : this.#parse(Buffer.concat(this.#chunks).toString('utf8'));
  }
}

export interface PassThroughOptions {
  /** Usage reader for an SSE answer; null: SSE passes as plain bytes (usage not read). */
  readonly sse: SseUsageReader | null;
  /** Usage reader for a non-SSE answer; null: not read (count_tokens). */
  readonly json: JsonUsageReader | null;
  /** Ends a started SSE answer with one error event in the client's format. */
  writeError(e: GatewayError): void;
  /** Flush the headers at once even when the answer is not SSE (the client asked for a stream). */
  readonly stream: boolean;
  /** Extra response headers (the provider's request id). */
  readonly headers?: OutgoingHttpHeaders;
  /**
   * Estimates the usage of a stream that ended without the provider's (the client left
   * before the usage chunk, or the upstream broke off): the tokens were spent all the same.
   */
  readonly estimate?: () => Usage;
}

/** Relays `up` to the client as it comes; resolves when the exchange is over, whatever its outcome. */
export function relayPassThrough(io: RelayIo, ctx: RequestContext, model: LlmModelSpec, up: Answer, opts: PassThroughOptions): Promise<void> {
  return new Promise<void>((resolve) => { new PassThrough(io, ctx, model, up, opts, resolve).start(); });
}

/** Writes each chunk of the answer to the client from undici's callback: no loop, no promise per chunk. */
class PassThrough implements AnswerReader {
  readonly #io: RelayIo;
  readonly #ctx: RequestContext;
  readonly #model: LlmModelSpec;
  readonly #up: Answer;
  readonly #opts: PassThroughOptions;
  readonly #done: () => void;
  #isSse = false;
  #sse: SseUsageReader | null = null;
  #json: JsonUsageReader | null = null;
  /** Masks the call's secrets in what goes out; null when there are none, or the answer is compressed. */
  #mask: SecretMaskStream | null = null;
  #onDrain: (() => void) | null = null;

  constructor(io: RelayIo, ctx: RequestContext, model: LlmModelSpec, up: Answer, opts: PassThroughOptions, done: () => void) {
    this.#io = io;
    this.#ctx = ctx;
    this.#model = model;
    this.#up = up;
    this.#opts = opts;
    this.#done = done;
  }

  start(): void {
    const { ctx, up, opts } = { ctx: this.#ctx, up: this.#up, opts: this.#opts };
    const ct = up.headers['content-type'];
    this.#isSse = typeof ct === 'string' && ct.startsWith('text/event-stream');
    // A compressed stream cannot be split into events; it passes as bytes.
    const sse = this.#isSse && up.headers['content-encoding'] === undefined ? opts.sse : null;
    this.#sse = sse;
    this.#json = this.#isSse ? null : opts.json;
    // A compressed answer cannot be scanned (the call asks for identity; docs/llm.md says so).
    if (up.headers['content-encoding'] === undefined) this.#mask = answerMask(this.#model)?.stream() ?? null;
    const out = responseHeaders(ctx, this.#model, up.headers);
    if (opts.headers !== undefined) Object.assign(out, opts.headers);
    // A reader may drop an event (the usage chunk the client did not ask for): the length changes.
    if (sse !== null) delete out['content-length'];
    const res = ctx.res;
    res.writeHead(up.statusCode, out);
    ctx.observer.firstByte?.(ctx);
    // A client that leaves mid-stream is logged when it leaves (the access log is written
    // then): settle the usage, or its estimate, at that moment too.
    if (sse !== null) ctx.onEnd(() => { this.#settleStream(); });
    // Chunks that came with the headers are written now, the headers with them.
    up.read(this);
    // A stream starts now, not with its first event (clients wait on the headers).
    if ((this.#isSse || opts.stream) && !res.headersSent && !res.destroyed) res.flushHeaders();
  }

  onData(chunk: Buffer): void {
    const ctx = this.#ctx;
    const res = ctx.res;
    // The client is gone: the walk aborts the answer; write nothing more.
    if (res.destroyed) return;
    let bytes = chunk;
    if (this.#sse !== null) {
      try {
        bytes = this.#sse.push(chunk);
      } catch (err) {
        // An event past the cap: the upstream call is aborted and the client gets one error
        // event (onError, through the answer's failure).
        const e = sseOverflowError(err, `stream of model ${this.#model.name}`) as Error;
        if (e instanceof GatewayError) this.#io.upstreamError(e.code);
        this.#up.abort(e);
        return;
      }
    } else {
      this.#json?.push(chunk);
    }
    if (this.#mask !== null && bytes.length > 0) bytes = this.#mask.push(bytes);
    if (bytes.length === 0) return;
    ctx.bytesOut += bytes.length;
    if (!res.write(bytes)) {
      this.#up.pause();
      res.once('drain', this.#onDrain ??= () => { this.#up.resume(); });
    }
  }

  onEnd(): void {
    const ctx = this.#ctx;
    const res = ctx.res;
    if (this.#sse !== null) this.#settleStream();
    else account(ctx, this.#model, this.#json?.usage() ?? null);
    if (!res.destroyed) {
      const held = this.#rest();
      if (held !== null) ctx.bytesOut += held.length;
      res.end(held ?? undefined);
    }
    this.#done();
  }

  onError(err: Error): void {
    const ctx = this.#ctx;
    const res = ctx.res;
    this.#settleStream();
    if (this.#onDrain !== null) res.off('drain', this.#onDrain);
    if (!ctx.clientAborted && !res.destroyed) {
      const e = this.#io.failure(err, true);
      ctx.errorCode = e.code;
      if (this.#isSse) {
        // Whatever the mask still holds ends a whole event: it goes out before the error event.
        const held = this.#mask?.flush() ?? null;
        if (held !== null) res.write(held);
        this.#opts.writeError(e);
      } else {
        res.destroy();
      }
    }
    this.#done();
  }

  /** What is still held when the upstream ended: an unfinished event, then the mask's tail. */
  #rest(): Buffer | null {
    const mask = this.#mask;
    const event = this.#sse?.flush() ?? null;
    if (mask === null) return event;
    const masked = event === null ? null : mask.push(event);
    const tail = mask.flush();
    if (tail === null) return masked !== null && masked.length > 0 ? masked : null;
    return masked === null ? tail : Buffer.concat([masked, tail]);
  }

  /** The stream's usage, or an estimate when it ended without one. */
  #settleStream(): void {
    const sse = this.#sse;
    if (sse === null) return;
    if (sse.usage !== null) account(this.#ctx, this.#model, sse.usage);
    else if (this.#opts.estimate !== undefined) accountEstimate(this.#ctx, this.#model, this.#opts.estimate());
  }
}
