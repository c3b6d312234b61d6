// The relay for answers in the client's own format (OpenAI chat to an OpenAI-API provider,
// Anthropic messages to Anthropic, Responses to OpenAI): bytes go to the client as they
// come, through core's StreamRelay (backpressure, one terminal event). SSE is framed into
// whole events there (so an error event can follow cleanly) and read for usage by a usage
// stage in passing; a JSON answer is read for usage as it passes. The secrets the call sent
// upstream are masked in what goes out (upstream-secrets.ts: same length, so a JSON answer's
// Content-Length holds; an SSE answer is masked event by event, after its usage stage, so
// the mask holds nothing back: no form of a secret spans a blank line). Nothing is
// buffered whole.
import type { OutgoingHttpHeaders } from 'node:http';
import type { LlmModelSpec } from './spec.js';
import { GatewayError, maskStage, sseOverflowError, StreamRelay, type RequestContext, type StreamErrorRenderer, type StreamStage } from '../core/index.js';
import { account, accountEstimate } from './account.js';
import type { Answer } from './answer.js';
import { responseHeaders, type RelayIo } from './exchange.js';
import { answerMask } from './upstream-secrets.js';
import type { Usage } from './usage.js';

/** A stage that passes SSE events through whole, reading usage (OpenAIStreamUsage, ResponsesStreamUsage, …). */
export interface SseUsageStage extends StreamStage {
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
  /** Usage stage for an SSE answer; null: SSE passes as plain bytes (usage not read). */
  readonly sse: SseUsageStage | null;
  /** Usage reader for a non-SSE answer; null: not read (count_tokens). */
  readonly json: JsonUsageReader | null;
  /** The terminal error event of a started SSE answer, in the client's format. */
  readonly renderError: StreamErrorRenderer;
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
  return new Promise<void>((done) => {
    const ct = up.headers['content-type'];
    const isSse = typeof ct === 'string' && ct.startsWith('text/event-stream');
    // A compressed answer can be neither split into events nor scanned for secrets: it
    // passes as bytes (the call asks for identity; docs/llm.md says so).
    const plain = up.headers['content-encoding'] === undefined;
    const sse = isSse && plain ? opts.sse : null;
    const json = isSse ? null : opts.json;
    const mask = plain ? answerMask(model)?.stream() ?? null : null;
    const stages: StreamStage[] = [];
    if (sse !== null) stages.push(sse);
    else if (json !== null) stages.push(jsonUsageStage(json, () => { account(ctx, model, json.usage()); }));
    if (mask !== null) stages.push(maskStage(mask));
    /** The stream's usage, or an estimate when it ended without one. */
    const settle = sse === null ? undefined : (): void => {
      if (sse.usage !== null) account(ctx, model, sse.usage);
      else if (opts.estimate !== undefined) accountEstimate(ctx, model, opts.estimate());
    };
    const relay = new StreamRelay(ctx, up, {
      framing: sse !== null ? 'sse' : 'raw',
      maxEventBytes: model.limits.maxEventBytes,
      heldAtEnd: 'pass',
      stages,
      renderError: isSse ? opts.renderError : null,
      failure: (err, here) => {
        // An event past the cap is the upstream's fault: counted, and the call aborted.
        const e = here ? sseOverflowError(err, `stream of model ${model.name}`) : err;
        if (here && e instanceof GatewayError) io.upstreamError(e.code);
        return io.failure(e, true);
      },
      settle,
      done,
    });
    const out = responseHeaders(ctx, model, up.headers);
    if (opts.headers !== undefined) Object.assign(out, opts.headers);
    // A stage may drop an event (the usage chunk the client did not ask for): the length changes.
    if (sse !== null) delete out['content-length'];
    const res = ctx.res;
    res.writeHead(up.statusCode, out);
    ctx.observer.firstByte?.(ctx);
    // A client that leaves mid-stream is logged when it leaves (the access log is written
    // then): settle the usage, or its estimate, at that moment too.
    if (settle !== undefined) ctx.onEnd(settle);
    // Chunks that came with the headers are written now, the headers with them.
    up.read(relay);
    // A stream starts now, not with its first event (clients wait on the headers).
    if ((isSse || opts.stream) && !res.headersSent && !res.destroyed) res.flushHeaders();
  });
}

/** A JSON answer's usage reader as a stage: bytes pass unchanged; usage accounted at the end. */
function jsonUsageStage(json: JsonUsageReader, settle: () => void): StreamStage {
  return {
    event(piece, out) { json.push(piece as Buffer); out.push(piece); },
    end() { settle(); },
  };
}
