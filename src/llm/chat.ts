// The OpenAI front: P/chat/completions, P/embeddings and P/models. For providers that speak
// the OpenAI API the request body is parsed once and re-serialised with only `model` (to
// the upstream name) and, for streams, `stream_options` changed, so a provider's new field
// never needs us; the answer streams back as it comes, SSE event by event with usage read
// in passing (usage.ts), JSON with usage read from its tail. Other providers translate the
// request and the answer (providers/, relayed by chat-leg.ts).
import { GatewayError, type RequestContext } from '../core/index.js';
import { account } from './account.js';
import { listedModel, type Attempt, type LlmIo } from './backend.js';
import { relayChatStream } from './chat-leg.js';
import { endJson, modelNotFound, readAnswer, sendJson } from './exchange.js';
import { estimateUsage } from './estimate.js';
import { relayPassThrough } from './pass-through.js';
import { isObject, upstreamErrorBody, openAIStreamError } from './openai-errors.js';
import { openAICall, TRANSLATED_PROVIDERS } from './providers/index.js';
import { JsonUsageTail, OpenAIStreamUsage } from './usage.js';

type Endpoint = 'chat/completions' | 'embeddings';

/** Serves P/chat/completions or P/embeddings for a parsed request body. */
export function chatFront(io: LlmIo, ctx: RequestContext, body: Record<string, unknown>, raw: Buffer, endpoint: Endpoint): Promise<void> {
  if (typeof body.model !== 'string') throw new GatewayError('AE_MODEL_NOT_FOUND', { message: 'The request must name a model in "model".' });
  const stream = endpoint === 'chat/completions' && body.stream === true;
  const so = body.stream_options;
  const clientWantsUsage = stream && isObject(so) && so.include_usage === true;
  return io.serve(ctx, { model: body.model, stream, body, billable: true }, (model): Attempt => {
    const errorBody = (status: number, raw: string): string => upstreamErrorBody(status, raw, model);
    const provider = TRANSLATED_PROVIDERS[model.provider];
    if (provider === undefined) {
      const target = openAICall(model, endpoint, ctx.query);
      const { path, headers } = target;
      return {
        call: { path, headers, dropHeaders: [], body: upstreamBody(body, raw, target.model, stream, clientWantsUsage) },
        relay: (up) => {
          const sse = stream ? new OpenAIStreamUsage(!clientWantsUsage, model.limits.maxEventBytes) : null;
          return relayPassThrough(io, ctx, model, up, {
            sse,
            json: new JsonUsageTail(),
            stream,
            renderError: openAIStreamError,
            estimate: () => estimateUsage(body, sse?.outputEvents ?? 0),
          });
        },
        errorBody,
      };
    }
    if (endpoint !== 'chat/completions') {
      throw new GatewayError('AE_BAD_REQUEST', { message: `The model "${model.name}" (provider ${model.provider}) does not serve ${endpoint}.` });
    }
    const t = provider.chat(body, model, clientWantsUsage);
    return {
      call: t.call,
      auth: provider.auth ?? null,
      relay: async (up) => {
        if (stream) return relayChatStream(io, ctx, model, up, t.stream(), null, openAIStreamError);
        const raw = await readAnswer(io, ctx, model, up);
        if (raw === null) return;
        const { body: out, usage } = t.json(raw);
        account(ctx, model, usage);
        endJson(ctx, model, up, 200, out);
      },
      errorBody: (status, raw, headers) => t.errorBody?.(status, raw, headers) ?? errorBody(status, raw),
    };
  });
}

/**
 * The body for a provider that speaks the OpenAI API: the client's own bytes when they
 * already say what is needed (the upstream model name, and for a stream `include_usage`,
 * which is always asked for: the extra chunk is dropped again when the client did not
 * ask), else the parsed body re-serialised with those two changed.
 */
function upstreamBody(body: Record<string, unknown>, raw: Buffer, upstreamModel: string, stream: boolean, clientWantsUsage: boolean): string | Buffer {
  if (body.model === upstreamModel && (!stream || clientWantsUsage)) return raw;
  const req: Record<string, unknown> = { ...body, model: upstreamModel };
  const so = body.stream_options;
  if (stream) req.stream_options = isObject(so) ? { ...so, include_usage: true } : { include_usage: true };
  return JSON.stringify(req);
}

/** The models the caller may use: all of them, less those the route's llm.* rules refuse it. */
export function listModels(io: LlmIo, ctx: RequestContext): void {
  const gate = ctx.gate;
  const data = [
    ...io.spec.models.map((m) => [m.name, m.provider] as const),
    ...io.spec.virtualModels.map((v) => [v.name, 'agentedge'] as const),
  ].filter(([name, provider]) => gate === null || gate.permits(ctx, listedModel(name, provider))).map(([name, owner]) => modelObject(name, owner));
  sendJson(ctx, 200, { object: 'list', data });
}

export function getModel(io: LlmIo, ctx: RequestContext, encoded: string): void {
  let id = encoded;
  try { id = decodeURIComponent(encoded); } catch { /* keep it as sent */ }
  // A model the caller may not use is as unknown to it as one that does not exist.
  if (!io.router.has(id) || !(ctx.gate?.permits(ctx, listedModel(id, io.router.concrete(id)?.provider ?? 'agentedge')) ?? true)) throw modelNotFound(id);
  sendJson(ctx, 200, modelObject(id, io.router.concrete(id)?.provider ?? 'agentedge'));
}

function modelObject(id: string, ownedBy: string): { id: string; object: 'model'; created: number; owned_by: string } {
  return { id, object: 'model', created: 0, owned_by: ownedBy };
}
