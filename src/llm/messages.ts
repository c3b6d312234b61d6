// The Anthropic front: POST P/messages and P/messages/count_tokens in Anthropic shapes, so
// the Anthropic SDK (baseURL = the gateway, route at /v1) reaches every model of the
// backend. Models that speak the Messages API (anthropic; Claude on vertex) are passed
// through (model rewritten, the backend's credentials injected, bytes streamed back as they
// come, usage read in passing); the others are reached through the OpenAI chat pivot
// (chat-leg.ts): Messages → OpenAI chat (messages-translate.ts) → the provider, and back.
import type { LlmModelSpec } from './spec.js';
import { GatewayError, parseJson, sseData, sseEvents, UNTRUSTED_JSON, type RequestContext, type StageSink } from '../core/index.js';
import { anthropicStreamError, anthropicUpstreamErrorBody } from './anthropic-errors.js';
import type { Attempt, LlmIo } from './backend.js';
import { chatLeg, relayChatJson, relayChatStream } from './chat-leg.js';
import { sendJson } from './exchange.js';
import { BoundedJsonUsage, relayPassThrough, type SseUsageStage } from './pass-through.js';
import { isObject } from './openai-errors.js';
import { estimateInputTokens, messagesToOpenAI, openAIToMessage, OpenAIToAnthropicStream } from './messages-translate.js';
import { MESSAGES_PROVIDERS } from './providers/index.js';
import { anthropicUsage, type Usage } from './usage.js';

/** Serves P/messages (`countTokens` false) or P/messages/count_tokens for a parsed request body. */
export async function messagesFront(io: LlmIo, ctx: RequestContext, body: Record<string, unknown>, countTokens: boolean): Promise<void> {
  if (typeof body.model !== 'string') throw new GatewayError('AE_BAD_REQUEST', { message: 'The request must name a model in "model".' });
  if (body.messages === undefined) throw new GatewayError('AE_BAD_REQUEST', { message: '"messages" is required.' });
  const requested = body.model;
  const stream = !countTokens && body.stream === true;
  const opts = { countTokens, stream, clientVersion: header(ctx, 'anthropic-version'), query: ctx.query };
  const native = (m: LlmModelSpec) => MESSAGES_PROVIDERS[m.provider]?.messages(body, m, opts) ?? null;
  if (countTokens) {
    // Counted by a model that speaks the Messages API when the plan has one; else estimated here.
    const plan = io.router.plan(requested);
    if (plan !== undefined && !plan.some((m) => native(m) !== null)) {
      // Validated as a message would be, so an estimate is only given for a request that would be served.
      messagesToOpenAI({ ...body, max_tokens: 1, stream: undefined }, plan[0]!);
      const admitted = io.admit(ctx, { model: requested, stream: false, body, billable: false });
      if (admitted !== undefined) await admitted;
      sendJson(ctx, 200, { input_tokens: estimateInputTokens(body) });
      return;
    }
  }
  return io.serve(ctx, { model: requested, stream, body, billable: !countTokens }, (model): Attempt => {
    const errorBody = (status: number, raw: string): string => anthropicUpstreamErrorBody(status, raw, model);
    const call = native(model);
    if (call !== null) {
      return {
        call,
        auth: MESSAGES_PROVIDERS[model.provider]?.auth ?? null,
        relay: (up) => relayPassThrough(io, ctx, model, up, {
          sse: countTokens ? null : new AnthropicSseUsage(),
          json: countTokens ? null : new BoundedJsonUsage(jsonUsage),
          stream,
          renderError: anthropicStreamError,
          headers: typeof up.headers['request-id'] === 'string' ? { 'request-id': up.headers['request-id'] } : {},
        }),
        errorBody,
      };
    }
    if (countTokens) {
      throw new GatewayError('AE_BAD_REQUEST', { message: `The model "${model.name}" (provider ${model.provider}) cannot count tokens.` });
    }
    const leg = chatLeg(messagesToOpenAI(body, model), model);
    const t = leg.translation;
    return {
      call: { ...t.call, dropHeaders: [...t.call.dropHeaders, 'anthropic-version', 'anthropic-beta', 'anthropic-dangerous-direct-browser-access'] },
      auth: leg.provider?.auth ?? null,
      relay: (up) => stream
        ? relayChatStream(io, ctx, model, up, t.stream(), new OpenAIToAnthropicStream(requested, model.limits.maxEventBytes), anthropicStreamError)
        : relayChatJson(io, ctx, model, up, t, (chat) => openAIToMessage(chat, requested)),
      errorBody: (status, raw, headers) => errorBody(status, t.errorBody?.(status, raw, headers) ?? raw),
    };
  });
}

function header(ctx: RequestContext, name: string): string | undefined {
  const v = ctx.req.headers[name];
  return typeof v === 'string' ? v : undefined;
}

/**
 * A stream stage that passes Anthropic SSE events through as they come (whole: the relay
 * frames them), reading usage from message_start and message_delta.
 */
class AnthropicSseUsage implements SseUsageStage {
  usage: Usage | null = null;

  event(piece: Buffer | string, out: StageSink): void {
    const buf = typeof piece === 'string' ? Buffer.from(piece) : piece;
    if (buf.includes('"usage"')) this.#read(buf);
    out.push(buf);
  }

  #read(buf: Buffer): void {
    for (const ev of sseEvents(buf)) {
      if (!ev.includes('"usage"')) continue;
      const data = sseData(ev);
      let obj: unknown;
      try { obj = parseJson(data, UNTRUSTED_JSON); } catch { continue; }
      if (!isObject(obj)) continue;
      const u = obj.type === 'message_start' && isObject(obj.message) ? obj.message.usage : obj.usage;
      if (isObject(u)) this.usage = anthropicUsage(this.usage, u);
    }
  }
}

function jsonUsage(raw: string): Usage | null {
  try {
    const obj: unknown = parseJson(raw, UNTRUSTED_JSON);
    return isObject(obj) && isObject(obj.usage) ? anthropicUsage(null, obj.usage) : null;
  } catch {
    return null;
  }
}
