// Anthropic Messages behind the OpenAI front: an OpenAI chat request becomes a
// POST ${baseUrl}/v1/messages, and the answer (JSON, or the Messages SSE events) becomes an
// OpenAI chat.completion or a stream of chat.completion.chunk events. Every request field is
// either translated, accepted as a no-op, or refused with a 400 that names it: nothing is
// dropped silently (the table is in src/llm/README.md). The stream is translated event by
// event as it arrives; only an unfinished event is held back.
import type { LlmModelSpec } from '../spec.js';
import { GatewayError, parseJson, UNTRUSTED_JSON } from '../../core/index.js';
import { SseChunkTranslator } from './chunk-translator.js';
import { bad, textsOf, toolArguments, unsupportedBy, walkMessages } from './request-parts.js';
import { isObject } from '../openai-errors.js';
import type { Usage } from '../usage.js';
import type { ChatProvider, ChatTranslation, TranslatedJson } from './provider.js';

export const ANTHROPIC_VERSION = '2023-06-01';
/** Anthropic requires max_tokens; this is used when the client sets neither max_tokens nor max_completion_tokens. */
export const DEFAULT_MAX_TOKENS = 4096;

type Json = Record<string, unknown>;

const unsupported = unsupportedBy('anthropic');

/**
 * Top-level fields and what happens to them. Fields not listed are refused with a 400, so a
 * new OpenAI feature is never silently lost on the way to Anthropic.
 */
const HANDLED = new Set([
  'model', 'messages', 'max_tokens', 'max_completion_tokens', 'temperature', 'top_p', 'stop', 'stream',
  'stream_options', 'tools', 'tool_choice', 'parallel_tool_calls', 'user', 'n', 'logprobs', 'response_format',
  'frequency_penalty', 'presence_penalty', 'store', 'metadata',
]);

/** Translates an OpenAI chat request into an Anthropic Messages request body. */
export function toAnthropicRequest(body: Json, upstreamModel: string): Json {
  for (const key of Object.keys(body)) {
    if (!HANDLED.has(key) && body[key] !== null && body[key] !== undefined) throw unsupported(key);
  }
  if (body.n !== undefined && body.n !== null && body.n !== 1) throw unsupported('n', 'other than 1 is not supported by the anthropic provider');
  if (body.logprobs === true) throw unsupported('logprobs');
  for (const f of ['frequency_penalty', 'presence_penalty'] as const) {
    if (body[f] !== undefined && body[f] !== null && body[f] !== 0) throw unsupported(f);
  }
  if (body.store === true) throw unsupported('store');
  if (isObject(body.metadata) && Object.keys(body.metadata).length > 0) throw unsupported('metadata');
  if (body.response_format !== undefined && body.response_format !== null) {
    if (!isObject(body.response_format) || body.response_format.type !== 'text') {
      throw unsupported('response_format', 'other than {"type":"text"} is not supported by the anthropic provider');
    }
  }
  if (!Array.isArray(body.messages)) throw bad('"messages" must be an array.');

  const out: Json = { model: upstreamModel };
  const { system, messages } = translateMessages(body.messages);
  if (system.length > 0) out.system = system;
  out.messages = messages;

  const max = body.max_completion_tokens ?? body.max_tokens;
  if (max !== undefined && max !== null && (typeof max !== 'number' || !Number.isInteger(max) || max < 1)) {
    throw bad(`"${body.max_completion_tokens !== undefined ? 'max_completion_tokens' : 'max_tokens'}" must be a positive integer.`);
  }
  out.max_tokens = max ?? DEFAULT_MAX_TOKENS;
  if (typeof body.temperature === 'number') out.temperature = body.temperature;
  if (typeof body.top_p === 'number') out.top_p = body.top_p;
  if (typeof body.stop === 'string') out.stop_sequences = [body.stop];
  else if (Array.isArray(body.stop)) out.stop_sequences = body.stop;
  if (typeof body.user === 'string') out.metadata = { user_id: body.user };

  if (Array.isArray(body.tools) && body.tools.length > 0) out.tools = body.tools.map(translateTool);
  const choice = translateToolChoice(body.tool_choice, body.parallel_tool_calls === false);
  if (choice !== null) out.tool_choice = choice;
  if (body.stream === true) out.stream = true;
  return out;
}

function translateMessages(list: unknown[]): { system: Json[]; messages: Json[] } {
  const { system, turns } = walkMessages<Json>(list, {
    provider: 'anthropic',
    system: textParts,
    user: userParts,
    assistantText: textParts,
    toolCall: toolUse,
    toolResult: (id, content, at) => ({ type: 'tool_result', tool_use_id: id, content: typeof content === 'string' ? content : textParts(content, at) }),
  });
  return { system, messages: turns.map((t) => ({ role: t.role, content: t.parts })) };
}

/** Content that may only hold text (system, assistant, tool). */
function textParts(content: unknown, at: string): Json[] {
  return textsOf(content, at, 'anthropic').map((text) => ({ type: 'text', text }));
}

function userParts(content: unknown, at: string): Json[] {
  if (typeof content === 'string') return [{ type: 'text', text: content }];
  if (!Array.isArray(content)) throw bad(`"${at}.content" must be a string or an array of parts.`);
  return content.map((p, j): Json => {
    const where = `${at}.content[${j}]`;
    if (isObject(p) && p.type === 'text' && typeof p.text === 'string') return { type: 'text', text: p.text };
    if (isObject(p) && p.type === 'image_url') return image(p.image_url, where);
    throw unsupported(`${where}.type`, `"${isObject(p) ? String(p.type) : typeof p}" is not supported by the anthropic provider`);
  });
}

const DATA_URL = /^data:([^;,]+);base64,(.*)$/s;

function image(ref: unknown, at: string): Json {
  const url = isObject(ref) ? ref.url : undefined;
  if (typeof url !== 'string') throw bad(`"${at}.image_url.url" must be a string.`);
  const data = DATA_URL.exec(url);
  if (data !== null) return { type: 'image', source: { type: 'base64', media_type: data[1], data: data[2] } };
  if (/^https?:\/\//i.test(url)) return { type: 'image', source: { type: 'url', url } };
  throw bad(`"${at}.image_url.url" must be a data: URL with base64 data or an http(s) URL.`);
}

function toolUse(call: unknown, at: string): Json {
  if (!isObject(call) || call.type !== 'function' || !isObject(call.function)) throw unsupported(`${at}.type`);
  const fn = call.function;
  const input = toolArguments(fn, at);
  return { type: 'tool_use', id: call.id, name: fn.name, input };
}

function translateTool(t: unknown, i: number): Json {
  const at = `tools[${i}]`;
  if (!isObject(t) || t.type !== 'function' || !isObject(t.function)) throw unsupported(`${at}.type`, `other than "function" is not supported by the anthropic provider`);
  const fn = t.function;
  if (fn.strict === true) throw unsupported(`${at}.function.strict`);
  const out: Json = { name: fn.name };
  if (typeof fn.description === 'string') out.description = fn.description;
  out.input_schema = isObject(fn.parameters) ? fn.parameters : { type: 'object', properties: {} };
  return out;
}

function translateToolChoice(choice: unknown, noParallel: boolean): Json | null {
  let out: Json | null;
  if (choice === undefined || choice === null) out = noParallel ? { type: 'auto' } : null;
  else if (choice === 'auto') out = { type: 'auto' };
  else if (choice === 'none') return { type: 'none' };
  else if (choice === 'required') out = { type: 'any' };
  else if (isObject(choice) && choice.type === 'function' && isObject(choice.function) && typeof choice.function.name === 'string') {
    out = { type: 'tool', name: choice.function.name };
  } else throw unsupported('tool_choice', 'of this form is not supported by the anthropic provider');
  if (out !== null && noParallel) out.disable_parallel_tool_use = true;
  return out;
}

/** Anthropic stop_reason → OpenAI finish_reason. */
export function finishReason(stop: unknown): string {
  switch (stop) {
    case 'max_tokens': return 'length';
    case 'tool_use': return 'tool_calls';
    case 'refusal': return 'content_filter';
    default: return 'stop'; // end_turn, stop_sequence, pause_turn
  }
}

interface AnthropicUsage { input: number; cacheRead: number; cacheCreation: number; output: number }

function readUsage(into: AnthropicUsage, u: unknown): void {
  if (!isObject(u)) return;
  const n = (v: unknown, old: number): number => (typeof v === 'number' && Number.isFinite(v) ? v : old);
  into.input = n(u.input_tokens, into.input);
  into.cacheRead = n(u.cache_read_input_tokens, into.cacheRead);
  into.cacheCreation = n(u.cache_creation_input_tokens, into.cacheCreation);
  into.output = n(u.output_tokens, into.output);
}

function openAIUsage(u: AnthropicUsage): Json {
  const prompt = u.input + u.cacheRead + u.cacheCreation;
  return {
    prompt_tokens: prompt,
    completion_tokens: u.output,
    total_tokens: prompt + u.output,
    prompt_tokens_details: { cached_tokens: u.cacheRead },
  };
}

function usageOf(u: AnthropicUsage): Usage {
  return { inputTokens: u.input + u.cacheRead + u.cacheCreation, outputTokens: u.output, cacheReadTokens: u.cacheRead, cacheWriteTokens: u.cacheCreation };
}

/** Translates a whole Anthropic Messages answer into an OpenAI chat.completion. */
export function fromAnthropicJson(raw: string, clientModel: string): TranslatedJson {
  let msg: unknown;
  try {
    msg = parseJson(raw, UNTRUSTED_JSON);
  } catch (err) {
    throw new GatewayError('AE_UPSTREAM_PROTOCOL', { detail: `anthropic answer: ${(err as Error).message}` });
  }
  if (!isObject(msg) || !Array.isArray(msg.content)) throw new GatewayError('AE_UPSTREAM_PROTOCOL', { detail: 'anthropic answer has no content' });
  let text: string | null = null;
  const toolCalls: Json[] = [];
  for (const b of msg.content) {
    if (!isObject(b)) continue;
    if (b.type === 'text' && typeof b.text === 'string') text = (text ?? '') + b.text;
    else if (b.type === 'tool_use') {
      toolCalls.push({ id: b.id, type: 'function', function: { name: b.name, arguments: JSON.stringify(b.input ?? {}) } });
    }
    // thinking blocks are only sent when asked for, which the OpenAI front cannot do.
  }
  const message: Json = { role: 'assistant', content: text, refusal: null };
  if (toolCalls.length > 0) message.tool_calls = toolCalls;
  const u: AnthropicUsage = { input: 0, cacheRead: 0, cacheCreation: 0, output: 0 };
  readUsage(u, msg.usage);
  const body = JSON.stringify({
    id: typeof msg.id === 'string' ? msg.id : 'msg',
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model: clientModel,
    choices: [{ index: 0, message, logprobs: null, finish_reason: finishReason(msg.stop_reason) }],
    usage: openAIUsage(u),
  });
  return { body, usage: usageOf(u) };
}

/**
 * Anthropic Messages SSE → OpenAI chat.completion.chunk events. Holds back an unfinished
 * event (events are whole once their blank line arrives, so a complete part is always
 * valid UTF-8). `[DONE]` follows `message_stop`; an upstream `error` event becomes one
 * OpenAI error event. Either is terminal: nothing is produced after it.
 */
export class AnthropicStreamTranslator extends SseChunkTranslator {
  #finish: string | null = null;
  readonly #usage: AnthropicUsage = { input: 0, cacheRead: 0, cacheCreation: 0, output: 0 };
  #sawUsage = false;
  /** Anthropic content block index → OpenAI tool call index. */
  readonly #tools = new Map<number, number>();

  constructor(model: LlmModelSpec, includeUsage: boolean) {
    super(model, includeUsage, 'msg', 'anthropic stream');
  }

  get usage(): Usage | null { return this.#sawUsage ? usageOf(this.#usage) : null; }

  protected event(ev: string): string {
    let data = '';
    let name = '';
    for (const line of ev.split(/\r\n|\n|\r/)) {
      if (line.startsWith('data:')) data += (data === '' ? '' : '\n') + line.slice(line.charCodeAt(5) === 32 ? 6 : 5);
      else if (line.startsWith('event:')) name = line.slice(6).trim();
    }
    if (data === '') return '';
    let e: unknown;
    try {
      e = parseJson(data, UNTRUSTED_JSON);
    } catch (err) {
      throw new GatewayError('AE_UPSTREAM_PROTOCOL', { detail: `anthropic stream event: ${(err as Error).message}` });
    }
    if (!isObject(e)) return '';
    const type = typeof e.type === 'string' ? e.type : name;
    switch (type) {
      case 'message_start': {
        const m = isObject(e.message) ? e.message : {};
        if (typeof m.id === 'string') this.id = m.id;
        this.#readUsage(m.usage);
        return this.start();
      }
      case 'content_block_start': {
        const b = e.content_block;
        const index = typeof e.index === 'number' ? e.index : -1;
        if (isObject(b) && b.type === 'tool_use') {
          const n = this.#tools.size;
          this.#tools.set(index, n);
          return this.start() + this.chunk({ tool_calls: [{ index: n, id: b.id, type: 'function', function: { name: b.name, arguments: '' } }] });
        }
        if (isObject(b) && b.type === 'text' && typeof b.text === 'string' && b.text !== '') return this.start() + this.chunk({ content: b.text });
        return '';
      }
      case 'content_block_delta': {
        const d = e.delta;
        if (!isObject(d)) return '';
        if (d.type === 'text_delta' && typeof d.text === 'string') return this.start() + this.chunk({ content: d.text });
        if (d.type === 'input_json_delta' && typeof d.partial_json === 'string' && d.partial_json !== '') {
          const n = this.#tools.get(typeof e.index === 'number' ? e.index : -1);
          if (n === undefined) return '';
          return this.start() + this.chunk({ tool_calls: [{ index: n, function: { arguments: d.partial_json } }] });
        }
        return ''; // thinking, signature and citation deltas have no OpenAI chat form
      }
      case 'message_delta':
        if (isObject(e.delta) && e.delta.stop_reason !== undefined && e.delta.stop_reason !== null) this.#finish = finishReason(e.delta.stop_reason);
        this.#readUsage(e.usage);
        return '';
      case 'message_stop': {
        return this.start() + this.chunk({}, this.#finish ?? 'stop') + this.done(openAIUsage(this.#usage));
      }
      case 'error': {
        const err = isObject(e.error) ? e.error : {};
        return this.upstreamError(err.message, err.type);
      }
      default:
        return ''; // ping, content_block_stop, and event types added later
    }
  }

  #readUsage(u: unknown): void {
    if (!isObject(u)) return;
    this.#sawUsage = true;
    readUsage(this.#usage, u);
  }
}

export const anthropicProvider: ChatProvider = {
  chat(body, model, includeUsage): ChatTranslation {
    const request = toAnthropicRequest(body, model.upstreamModel);
    const headers: Record<string, string> = { 'anthropic-version': ANTHROPIC_VERSION };
    if (model.apiKey !== null) headers['x-api-key'] = model.apiKey.reveal();
    return {
      call: {
        path: `${model.basePath}/v1/messages`,
        headers,
        // A client's betas could change the answer's shape under the translator.
        dropHeaders: ['anthropic-version', 'anthropic-beta'],
        body: JSON.stringify(request),
      },
      json: (raw) => fromAnthropicJson(raw, model.name),
      stream: () => new AnthropicStreamTranslator(model, includeUsage),
    };
  },
};
