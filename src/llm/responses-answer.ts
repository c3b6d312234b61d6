// The Responses front's answers, whole: a chat.completion → a Responses `response` object,
// and the pieces the stream translator (responses-stream.ts) builds the same object from.
import { randomBytes } from 'node:crypto';
import { GatewayError, parseJson, UNTRUSTED_JSON } from '../core/index.js';
import { isObject } from './openai-errors.js';
import type { Usage } from './usage.js';

type Json = Record<string, unknown>;

/** Ids and time of a translated response; tests fix them, the gateway lets them default. */
export interface ResponseIds {
  /** The random part of the response id (`resp_<id>`), also used for item ids. */
  id?: string;
  /** Unix seconds. */
  createdAt?: number;
}

interface ResponsesUsage {
  input_tokens: number;
  input_tokens_details: { cached_tokens: number; cache_write_tokens: number };
  output_tokens: number;
  output_tokens_details: { reasoning_tokens: number };
  total_tokens: number;
}

export const ZERO_USAGE: ResponsesUsage = {
  input_tokens: 0, input_tokens_details: { cached_tokens: 0, cache_write_tokens: 0 },
  output_tokens: 0, output_tokens_details: { reasoning_tokens: 0 }, total_tokens: 0,
};

export interface BothUsages { responses: ResponsesUsage; gateway: Usage }

/**
 * Chat usage → Responses usage (both count cached tokens inside the input tokens) and the
 * gateway's Usage, where a figure the provider did not give stays null.
 */
export function usageFrom(u: unknown): BothUsages | null {
  if (!isObject(u)) return null;
  const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
  const pd = isObject(u.prompt_tokens_details) ? u.prompt_tokens_details : {};
  const cd = isObject(u.completion_tokens_details) ? u.completion_tokens_details : {};
  const gateway: Usage = {
    inputTokens: num(u.prompt_tokens), outputTokens: num(u.completion_tokens),
    cacheReadTokens: num(pd.cached_tokens), cacheWriteTokens: num(pd.cache_write_tokens),
  };
  const input = gateway.inputTokens ?? 0;
  const output = gateway.outputTokens ?? 0;
  const responses: ResponsesUsage = {
    input_tokens: input,
    input_tokens_details: { cached_tokens: gateway.cacheReadTokens ?? 0, cache_write_tokens: gateway.cacheWriteTokens ?? 0 },
    output_tokens: output,
    output_tokens_details: { reasoning_tokens: num(cd.reasoning_tokens) ?? 0 },
    total_tokens: num(u.total_tokens) ?? input + output,
  };
  return { responses, gateway };
}

/** Chat finish_reason → the response's status and incomplete_details. */
export function outcome(finish: unknown): { status: 'completed' | 'incomplete'; incomplete_details: { reason: string } | null } {
  if (finish === 'length') return { status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' } };
  if (finish === 'content_filter') return { status: 'incomplete', incomplete_details: { reason: 'content_filter' } };
  return { status: 'completed', incomplete_details: null };
}

export function newId(): string {
  return randomBytes(16).toString('hex');
}

const or = (v: unknown, d: unknown): unknown => (v === undefined || v === null ? d : v);

/** The request's function tools as a response echoes them. */
function echoTools(tools: unknown): Json[] {
  if (!Array.isArray(tools)) return [];
  return tools.filter(isObject).map((t) => ({
    type: 'function', name: t.name, description: or(t.description, null), parameters: or(t.parameters, null),
    // Not enforced unless asked: chat's default (OpenAI's Responses default would be true).
    strict: or(t.strict, false),
  }));
}

/**
 * The fields every response object carries besides its output: the request's settings
 * echoed back, or OpenAI's documented defaults. `store` is false: nothing is kept.
 */
export function shell(request: Json, modelName: string, id: string, createdAt: number): Json {
  const text = isObject(request.text) ? request.text : {};
  const r = isObject(request.reasoning) ? request.reasoning : {};
  return {
    id: `resp_${id}`, object: 'response', created_at: createdAt, status: 'in_progress', background: false, error: null,
    incomplete_details: null, instructions: or(request.instructions, null), max_output_tokens: or(request.max_output_tokens, null),
    max_tool_calls: or(request.max_tool_calls, null), model: modelName, output: [], parallel_tool_calls: or(request.parallel_tool_calls, true),
    previous_response_id: null, prompt_cache_key: or(request.prompt_cache_key, null),
    reasoning: { effort: or(r.effort, null), summary: or(r.summary ?? r.generate_summary, null) },
    safety_identifier: or(request.safety_identifier, null), store: false, temperature: or(request.temperature, 1),
    text: { format: or(text.format, { type: 'text' }), verbosity: or(text.verbosity, 'medium') },
    tool_choice: or(request.tool_choice, 'auto'), tools: echoTools(request.tools), top_logprobs: 0, top_p: or(request.top_p, 1),
    truncation: 'disabled', usage: null, user: or(request.user, null), metadata: or(request.metadata, {}),
  };
}

export function textPart(text: string): Json {
  return { type: 'output_text', annotations: [], logprobs: [], text };
}

/** Translates a whole chat.completion into a Responses `response` object. */
export function chatToResponse(raw: string, modelName: string, request: Json, ids: ResponseIds = {}): { body: string; usage: Usage | null } {
  let obj: unknown;
  try {
    obj = parseJson(raw, UNTRUSTED_JSON);
  } catch (err) {
    throw new GatewayError('AE_UPSTREAM_PROTOCOL', { detail: `chat completion: ${(err as Error).message}` });
  }
  if (!isObject(obj) || !Array.isArray(obj.choices)) throw new GatewayError('AE_UPSTREAM_PROTOCOL', { detail: 'chat completion without choices' });
  const choice: unknown = obj.choices[0];
  const message = isObject(choice) && isObject(choice.message) ? choice.message : {};
  const id = ids.id ?? newId();
  const end = outcome(isObject(choice) ? choice.finish_reason : null);
  const output: Json[] = [];
  const content: Json[] = [];
  if (typeof message.content === 'string' && message.content !== '') content.push(textPart(message.content));
  if (typeof message.refusal === 'string' && message.refusal !== '') content.push({ type: 'refusal', refusal: message.refusal });
  if (content.length > 0) output.push({ id: `msg_${id}_0`, type: 'message', status: end.status, role: 'assistant', content });
  if (Array.isArray(message.tool_calls)) {
    message.tool_calls.forEach((c, i) => {
      if (!isObject(c) || !isObject(c.function)) return;
      output.push({
        id: `fc_${id}_${i + 1}`, type: 'function_call', status: 'completed',
        arguments: typeof c.function.arguments === 'string' ? c.function.arguments : '',
        call_id: typeof c.id === 'string' ? c.id : `call_${i}`, name: typeof c.function.name === 'string' ? c.function.name : '',
      });
    });
  }
  const usage = usageFrom(obj.usage);
  const created = ids.createdAt ?? (typeof obj.created === 'number' ? obj.created : Math.floor(Date.now() / 1000));
  const body = { ...shell(request, modelName, id, created), ...end, output, usage: usage?.responses ?? ZERO_USAGE };
  return { body: JSON.stringify(body), usage: usage?.gateway ?? null };
}
