// The OpenAI Responses front: POST P/responses. Models of openai and azure (whose APIs have
// it) are passed through, usage read in passing (responses-usage.ts); every other provider
// is reached through the OpenAI chat pivot (chat-leg.ts): Responses → chat
// (responses-request.ts) → the provider, and the answer back as a `response` object or
// Responses stream events.
import { GatewayError, type RequestContext } from '../core/index.js';
import type { Attempt, LlmIo } from './backend.js';
import { chatLeg, relayChatJson, relayChatStream } from './chat-leg.js';
import { upstreamErrorBody } from './openai-errors.js';
import { BoundedJsonUsage, relayPassThrough } from './pass-through.js';
import { openAICall } from './providers/index.js';
import { chatToResponse } from './responses-answer.js';
import { responsesToChat } from './responses-request.js';
import { ChatToResponsesStream, responsesStreamError } from './responses-stream.js';
import { responseJsonUsage, ResponsesStreamUsage } from './responses-usage.js';

/** Serves P/responses for a parsed request body. */
export function responsesFront(io: LlmIo, ctx: RequestContext, body: Record<string, unknown>): Promise<void> {
  if (typeof body.model !== 'string') throw new GatewayError('AE_MODEL_NOT_FOUND', { message: 'The request must name a model in "model".' });
  const requested = body.model;
  const stream = body.stream === true;
  return io.serve(ctx, { model: requested, stream, body, billable: true }, (model): Attempt => {
    if (model.provider === 'openai' || model.provider === 'azure') {
      // Azure's Responses API names the deployment in the body, not the URL.
      const { path, headers, model: bodyModel } = openAICall(model, 'responses', ctx.query);
      return {
        call: { path, headers, dropHeaders: [], body: JSON.stringify({ ...body, model: bodyModel }) },
        relay: (up) => {
          const sse = new ResponsesStreamUsage(model.limits.maxEventBytes);
          return relayPassThrough(io, ctx, model, up, {
            sse,
            json: new BoundedJsonUsage(responseJsonUsage),
            stream,
            // The error event continues the upstream's numbering.
            renderError: (c, e) => responsesStreamError(e, sse.lastSequence + 1, c.id),
          });
        },
        errorBody: (status, raw) => upstreamErrorBody(status, raw, model),
      };
    }
    const leg = chatLeg(responsesToChat(body, model), model);
    const t = leg.translation;
    return {
      call: t.call,
      auth: leg.provider?.auth ?? null,
      relay: (up) => {
        if (!stream) return relayChatJson(io, ctx, model, up, t, (chat) => chatToResponse(chat, requested, body));
        const front = new ChatToResponsesStream(requested, body, {}, model.limits.maxEventBytes);
        return relayChatStream(io, ctx, model, up, t.stream(), front, (c, e) => front.fail(e, c.id));
      },
      errorBody: (status, raw, headers) => upstreamErrorBody(status, t.errorBody?.(status, raw, headers) ?? raw, model),
    };
  });
}

