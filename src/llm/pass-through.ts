// The relay for answers in the client's own format (OpenAI chat to an OpenAI-API provider,
// Anthropic messages to Anthropic, Responses to OpenAI): bytes go to the client as they
// come, with backpressure. SSE goes event by event through a usage reader, which holds back
// an unfinished event (so an error event can follow cleanly) and reads usage in passing;
// a JSON answer is read for usage as it passes. Nothing is buffered whole.
import type { OutgoingHttpHeaders } from 'node:http';
import type { Dispatcher } from 'undici';
import type { LlmModelSpec } from '../config/index.js';
import type { GatewayError, RequestContext } from '../core/index.js';
import { account, accountEstimate } from './account.js';
import { drained, responseHeaders, type RelayIo } from './exchange.js';
import type { Usage } from './usage.js';

/** Passes SSE events through whole, reading usage (OpenAIStreamUsage, ResponsesStreamUsage, …). */
export interface SseUsageReader {
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

export async function relayPassThrough(io: RelayIo, ctx: RequestContext, model: LlmModelSpec, up: Dispatcher.ResponseData, opts: PassThroughOptions): Promise<void> {
  const ct = up.headers['content-type'];
  const isSse = typeof ct === 'string' && ct.startsWith('text/event-stream');
  // A compressed stream cannot be split into events; it passes as bytes.
  const sse = isSse && up.headers['content-encoding'] === undefined ? opts.sse : null;
  const json = isSse ? null : opts.json;
  const out = responseHeaders(ctx, model, up.headers);
  if (opts.headers !== undefined) Object.assign(out, opts.headers);
  // A reader may drop an event (the usage chunk the client did not ask for): the length changes.
  if (sse !== null) delete out['content-length'];
  const res = ctx.res;
  res.writeHead(up.statusCode, out);
  if (isSse || opts.stream) res.flushHeaders();
  const usage = (): Usage | null => (sse !== null ? sse.usage : json?.usage() ?? null);
  // A client that leaves mid-stream is logged when it leaves (the access log is written
  // then): settle the usage, or its estimate, at that moment too.
  if (sse !== null) ctx.onEnd(() => { settleStreamUsage(ctx, model, sse, opts); });
  try {
    for await (const chunk of up.body as AsyncIterable<Buffer>) {
      // The client is gone: the abort ends this loop; write nothing more.
      if (res.destroyed) break;
      let bytes = chunk;
      if (sse !== null) bytes = sse.push(chunk);
      else json?.push(chunk);
      if (bytes.length === 0) continue;
      ctx.bytesOut += bytes.length;
      if (!res.write(bytes)) await drained(res);
    }
  } catch (err) {
    settleStreamUsage(ctx, model, sse, opts);
    if (ctx.clientAborted || res.destroyed) return;
    const e = io.failure(err, true);
    ctx.errorCode = e.code;
    if (isSse) opts.writeError(e);
    else res.destroy();
    return;
  }
  if (sse !== null) settleStreamUsage(ctx, model, sse, opts);
  else account(ctx, model, usage());
  if (res.destroyed) return;
  const held = sse?.flush() ?? null;
  if (held !== null) ctx.bytesOut += held.length;
  res.end(held ?? undefined);
}

/** The stream's usage, or an estimate when it ended without one. */
function settleStreamUsage(ctx: RequestContext, model: LlmModelSpec, sse: SseUsageReader | null, opts: PassThroughOptions): void {
  if (sse === null) return;
  if (sse.usage !== null) account(ctx, model, sse.usage);
  else if (opts.estimate !== undefined) accountEstimate(ctx, model, opts.estimate());
}
