// The OpenAI chat format is the gateway's pivot: a front that is not OpenAI chat (the
// Anthropic front for non-Anthropic models, the Responses front for non-OpenAI models)
// turns its request into an OpenAI chat request, sends it to any provider through the
// provider seam (a "chat leg"), and turns the OpenAI chat answer back into its own shape.
// For OpenAI-API providers the leg is the identity; for the others it is the provider's
// translation. Streams are translated twice, text in and text out: these are the
// translated paths, not the byte-for-byte fast path.
import type { LlmModelSpec } from './spec.js';
import { GatewayError, SseFramer, sseOverflowError, type RequestContext } from '../core/index.js';
import { account } from './account.js';
import type { Answer } from './answer.js';
import { drained, endJson, readAnswer, responseHeaders, sseHeaders, type RelayIo } from './exchange.js';
import { isObject } from './openai-errors.js';
import { answerMask } from './upstream-secrets.js';
import { openAICall, TRANSLATED_PROVIDERS, type ChatProvider, type ChatTranslation, type StreamTranslator } from './providers/index.js';
import type { Usage } from './usage.js';

/** A front's translator of an OpenAI chat stream (text in, the front's events out). */
export interface FrontStream {
  push(text: string): string;
  /** Ends the answer when the upstream closed after its finish reason without `[DONE]`. */
  end(): string;
  readonly finished: boolean;
  /** The upstream sent an error event instead of an answer. */
  readonly failed: boolean;
  readonly sawFinish: boolean;
  readonly usage: Usage | null;
}

export interface ChatLeg {
  readonly translation: ChatTranslation;
  /** The provider, when it has an auth() step (vertex); null for OpenAI-API providers. */
  readonly provider: ChatProvider | null;
}

/** An OpenAI chat request (stream or not, as `chat.stream` says) to `model` on its provider. */
export function chatLeg(chat: Record<string, unknown>, model: LlmModelSpec): ChatLeg {
  const p = TRANSLATED_PROVIDERS[model.provider];
  // Usage is always asked for: it is accounted whatever the front's client wanted.
  if (p !== undefined) return { translation: p.chat(chat, model, true), provider: p };
  const { path, headers, model: bodyModel } = openAICall(model, 'chat/completions', '');
  const req: Record<string, unknown> = { ...chat, model: bodyModel };
  if (chat.stream === true) req.stream_options = { ...(isObject(chat.stream_options) ? chat.stream_options : {}), include_usage: true };
  return {
    provider: null,
    translation: {
      call: { path, headers, dropHeaders: [], body: JSON.stringify(req) },
      json: (raw) => ({ body: raw, usage: null }),
      stream: () => new FramedPassThrough(model.limits.maxEventBytes),
    },
  };
}

/**
 * The identity stream translator: upstream OpenAI SSE bytes as text, whole events at a time
 * (so text is never cut inside a UTF-8 sequence), each at most the backend's maxEventBytes.
 */
class FramedPassThrough implements StreamTranslator {
  readonly #framer: SseFramer;
  readonly finished = false;
  readonly failed = false;
  readonly usage = null;
  constructor(maxEventBytes: number) { this.#framer = new SseFramer(maxEventBytes); }
  push(chunk: Buffer): string {
    try {
      return this.#framer.push(chunk).toString('utf8');
    } catch (err) {
      throw sseOverflowError(err, 'chat stream');
    }
  }
}

/** Reads a whole chat answer, translates it to the front's shape and sends it. */
export async function relayChatJson(
  io: RelayIo, ctx: RequestContext, model: LlmModelSpec, up: Answer, leg: ChatTranslation,
  toFront: (chatJson: string) => { body: string; usage: Usage | null },
): Promise<void> {
  const raw = await readAnswer(io, ctx, model, up);
  if (raw === null) return;
  const chat = leg.json(raw);
  const { body, usage } = toFront(chat.body);
  account(ctx, model, chat.usage ?? usage);
  endJson(ctx, model, up, 200, body);
}

/**
 * Relays a streamed chat answer through the provider's translator (`inner`, upstream bytes →
 * OpenAI chunks) and the front's (`outer`, OpenAI chunks → the front's events; null for the
 * OpenAI front itself), with backpressure and exactly one terminal event.
 */
export async function relayChatStream(
  io: RelayIo, ctx: RequestContext, model: LlmModelSpec, up: Answer,
  inner: StreamTranslator, outer: FrontStream | null, writeError: (e: GatewayError) => void,
): Promise<void> {
  const res = ctx.res;
  res.writeHead(200, sseHeaders(responseHeaders(ctx, model, up.headers)));
  ctx.observer.firstByte?.(ctx);
  res.flushHeaders();
  const usage = (): Usage | null => inner.usage ?? outer?.usage ?? null;
  const finished = (): boolean => (outer === null ? inner.finished : outer.finished);
  // The secrets the call sent upstream, masked in what the client gets (upstream-secrets.ts).
  const mask = answerMask(model)?.stream() ?? null;
  const write = async (text: string): Promise<void> => {
    if (text === '' || res.destroyed) return;
    const out = mask === null ? text : mask.push(Buffer.from(text));
    if (out.length === 0) return;
    ctx.bytesOut += typeof out === 'string' ? Buffer.byteLength(out) : out.length;
    if (!res.write(out)) await drained(res);
  };
  /** Writes what the mask still holds, before the stream's terminal event. */
  const unmask = (): void => {
    const held = mask?.flush() ?? null;
    if (held === null || res.destroyed) return;
    ctx.bytesOut += held.length;
    res.write(held);
  };
  try {
    // Runs to the upstream's end even after the terminal event, so the connection is reused.
    for await (const chunk of up.chunks()) {
      if (res.destroyed) break;
      const text = inner.push(chunk);
      await write(outer === null || text === '' ? text : outer.push(text));
      // Accounted as it goes: a client that goes away is logged with what it got.
      account(ctx, model, usage());
    }
  } catch (err) {
    account(ctx, model, usage());
    if (ctx.clientAborted || res.destroyed) return;
    // A translator's own refusal (an event past the cap, an event that is not JSON) is the upstream's fault too.
    if (err instanceof GatewayError) io.upstreamError(err.code);
    const e = io.failure(err, true);
    ctx.errorCode = e.code;
    unmask();
    if (!finished() || outer?.failed === true) writeError(e);
    else res.end();
    return;
  }
  // An upstream that gave its finish reason but no [DONE] (or bedrock no metadata) still finished its answer.
  if (!inner.finished && inner.end !== undefined) {
    const text = inner.end();
    await write(outer === null || text === '' ? text : outer.push(text));
  }
  if (outer !== null && !outer.finished && outer.sawFinish) await write(outer.end());
  account(ctx, model, usage());
  if (res.destroyed) return;
  unmask();
  if (inner.failed || outer?.failed === true) {
    ctx.errorCode = 'AE_UPSTREAM_ERROR';
    io.upstreamError('AE_UPSTREAM_ERROR');
    // The OpenAI front's translators write the upstream's error event themselves.
    if (outer !== null) writeError(new GatewayError('AE_UPSTREAM_ERROR'));
    else res.end();
    return;
  }
  if (!finished()) {
    const e = new GatewayError('AE_UPSTREAM_STREAM_ABORTED', { detail: `stream of model ${model.name} ended before its last event` });
    io.upstreamError(e.code);
    ctx.errorCode = e.code;
    writeError(e);
    return;
  }
  res.end();
}
