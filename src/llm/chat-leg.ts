// The OpenAI chat format is the gateway's pivot: a front that is not OpenAI chat (the
// Anthropic front for non-Anthropic models, the Responses front for non-OpenAI models)
// turns its request into an OpenAI chat request, sends it to any provider through the
// provider seam (a "chat leg"), and turns the OpenAI chat answer back into its own shape.
// For OpenAI-API providers the leg is the identity; for the others it is the provider's
// translation. Streams are translated twice, text in and text out: these are the
// translated paths, not the byte-for-byte fast path.
import type { LlmModelSpec } from './spec.js';
import { GatewayError, maskStage, SseFramer, sseOverflowError, StreamRelay, type RequestContext, type StreamErrorRenderer, type StreamStage } from '../core/index.js';
import { account } from './account.js';
import type { Answer } from './answer.js';
import { endJson, readAnswer, responseHeaders, sseHeaders, type RelayIo } from './exchange.js';
import { isObject } from './openai-errors.js';
import { answerMask } from './upstream-secrets.js';
import { openAICall, TRANSLATED_PROVIDERS, type ChatProvider, type ChatTranslation, type StreamTranslator } from './providers/index.js';
import type { Usage } from './usage.js';

/** A front's translator of an OpenAI chat stream (text in, the front's events out). */
export interface FrontStream {
  /** Whole OpenAI chat events (what a provider stage writes) in, the front's events out. */
  events(text: string): string;
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
 * In the relay the events come framed (events()); push() frames for itself.
 */
class FramedPassThrough implements StreamTranslator {
  readonly #maxEventBytes: number;
  #framer: SseFramer | null = null;
  readonly finished = false;
  readonly failed = false;
  readonly usage = null;
  constructor(maxEventBytes: number) { this.#maxEventBytes = maxEventBytes; }
  push(chunk: Buffer): string {
    try {
      return this.events((this.#framer ??= new SseFramer(this.#maxEventBytes)).push(chunk));
    } catch (err) {
      throw sseOverflowError(err, 'chat stream');
    }
  }
  events(region: Buffer): string { return region.toString('utf8'); }
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
 * OpenAI front itself), as stages of core's StreamRelay: backpressure, and exactly one
 * terminal event (`renderError`, the front's).
 */
export function relayChatStream(
  io: RelayIo, ctx: RequestContext, model: LlmModelSpec, up: Answer,
  inner: StreamTranslator, outer: FrontStream | null, renderError: StreamErrorRenderer,
): Promise<void> {
  return new Promise<void>((done) => {
    const res = ctx.res;
    res.writeHead(200, sseHeaders(responseHeaders(ctx, model, up.headers)));
    ctx.observer.firstByte?.(ctx);
    res.flushHeaders();
    const usage = (): Usage | null => inner.usage ?? outer?.usage ?? null;
    const finished = (): boolean => (outer === null ? inner.finished : outer.finished);
    const stages: StreamStage[] = [providerStage(inner)];
    if (outer !== null) stages.push(frontStage(outer));
    // The secrets the call sent upstream, masked in what the client gets (upstream-secrets.ts).
    const mask = answerMask(model)?.stream() ?? null;
    if (mask !== null) stages.push(maskStage(mask));
    const relay = new StreamRelay(ctx, up, {
      // An SSE upstream is framed once, here; bedrock's event stream goes to its translator raw.
      framing: inner.events !== undefined ? 'sse' : 'raw',
      maxEventBytes: model.limits.maxEventBytes,
      // An unfinished event the upstream ended inside is not translated.
      heldAtEnd: 'drop',
      stages,
      renderError,
      failure: (raw) => {
        const err = sseOverflowError(raw, `${model.provider} stream of model ${model.name}`);
        // A translator's own refusal (an event past the cap, an event that is not JSON) is the upstream's fault too.
        if (err instanceof GatewayError) io.upstreamError(err.code);
        return io.failure(err, true);
      },
      // Accounted as it goes: a client that goes away is logged with what it got.
      afterChunk: () => { account(ctx, model, usage()); },
      settle: () => { account(ctx, model, usage()); },
      // A failure after the answer's last event only ends the response.
      answered: () => finished() && outer?.failed !== true,
      verdict: () => {
        if (inner.failed || outer?.failed === true) {
          ctx.errorCode = 'AE_UPSTREAM_ERROR';
          io.upstreamError('AE_UPSTREAM_ERROR');
          // The OpenAI front's translators write the upstream's error event themselves.
          return outer !== null ? new GatewayError('AE_UPSTREAM_ERROR') : null;
        }
        if (finished()) return null;
        const e = new GatewayError('AE_UPSTREAM_STREAM_ABORTED', { detail: `stream of model ${model.name} ended before its last event` });
        io.upstreamError(e.code);
        return e;
      },
      done,
    });
    up.read(relay);
  });
}

/** The provider's translator as a stage: upstream bytes in, OpenAI chunks out. */
function providerStage(t: StreamTranslator): StreamStage {
  return {
    event: t.events !== undefined
      ? (piece, out) => { out.push(t.events!(piece as Buffer)); }
      : (piece, out) => { out.push(t.push(piece as Buffer)); },
    // An upstream that gave its finish reason but no [DONE] (or bedrock no metadata) still finished its answer.
    end(out) { if (!t.finished && t.end !== undefined) out.push(t.end()); },
  };
}

/** The front's translator as a stage: OpenAI chunks in, the front's events out. */
function frontStage(f: FrontStream): StreamStage {
  return {
    event(piece, out) { out.push(f.events(typeof piece === 'string' ? piece : piece.toString('utf8'))); },
    end(out) { if (!f.finished && f.sawFinish) out.push(f.end()); },
  };
}
