// The Anthropic front over OpenAI-shaped providers: Anthropic Messages request → OpenAI chat
// request, and the answer back (a chat.completion → a Message, OpenAI chunks → Anthropic
// SSE events). Fields OpenAI chat cannot express are refused with a 400 naming them; see
// README.md ("Anthropic front") for the table.
import { GatewayError, parseJson, UNTRUSTED_JSON } from '../core/index.js';
import { ChatEventTranslator } from './chat-events.js';
import { LLM_LIMIT_DEFAULTS, type LlmModelSpec } from './spec.js';
import { isObject } from './openai-errors.js';
import type { Usage } from './usage.js';

type Json = Record<string, unknown>;

function bad(message: string): GatewayError {
  return new GatewayError('AE_BAD_REQUEST', { message });
}

function unsupported(field: string): GatewayError {
  return bad(`"${field}" is not supported for this model (its provider speaks the OpenAI chat API).`);
}

/** Top-level request fields translated or accepted; any other is refused. */
const KNOWN_FIELDS = new Set([
  'model', 'messages', 'system', 'max_tokens', 'stop_sequences', 'temperature', 'top_p', 'stream', 'tools', 'tool_choice', 'metadata', 'thinking',
  'output_config', 'cache_control',
]);

/** Translates an Anthropic Messages request to an OpenAI chat request. */
export function messagesToOpenAI(body: Json, model: LlmModelSpec): Json {
  for (const key of Object.keys(body)) if (!KNOWN_FIELDS.has(key)) throw unsupported(key);
  if (!Array.isArray(body.messages)) throw bad('"messages" must be an array.');
  if (typeof body.max_tokens !== 'number' || !Number.isInteger(body.max_tokens) || body.max_tokens < 1) {
    throw bad('"max_tokens" must be a positive integer.');
  }
  // `thinking: {type: "disabled"}` asks for the default; anything else cannot be expressed.
  if (body.thinking !== undefined && !(isObject(body.thinking) && body.thinking.type === 'disabled')) throw unsupported('thinking');

  const out: Json = { model: model.upstreamModel };
  if (body.output_config !== undefined) outputConfig(body.output_config, out);
  const messages: Json[] = [];
  if (body.system !== undefined) messages.push({ role: 'system', content: systemContent(body.system) });
  body.messages.forEach((m, i) => { translateMessage(m, `messages[${i}]`, messages); });
  out.messages = messages;
  // OpenAI's own API deprecates max_tokens for max_completion_tokens; compatible servers know max_tokens.
  out[model.provider === 'openai' ? 'max_completion_tokens' : 'max_tokens'] = body.max_tokens;
  if (body.stop_sequences !== undefined) {
    if (!Array.isArray(body.stop_sequences) || !body.stop_sequences.every((s) => typeof s === 'string')) throw bad('"stop_sequences" must be a list of strings.');
    if (body.stop_sequences.length > 0) out.stop = body.stop_sequences;
  }
  for (const k of ['temperature', 'top_p'] as const) {
    if (body[k] === undefined) continue;
    if (typeof body[k] !== 'number') throw bad(`"${k}" must be a number.`);
    out[k] = body[k];
  }
  if (body.stream !== undefined && typeof body.stream !== 'boolean') throw bad('"stream" must be a boolean.');
  if (body.stream === true) {
    out.stream = true;
    out.stream_options = { include_usage: true };
  }
  if (body.metadata !== undefined) {
    if (!isObject(body.metadata)) throw bad('"metadata" must be an object.');
    for (const [k, v] of Object.entries(body.metadata)) {
      if (k !== 'user_id') throw unsupported(`metadata.${k}`);
      if (v !== null && v !== undefined) {
        if (typeof v !== 'string') throw bad('"metadata.user_id" must be a string.');
        out.user = v;
      }
    }
  }
  if (body.tools !== undefined) {
    if (!Array.isArray(body.tools)) throw bad('"tools" must be an array.');
    if (body.tools.length > 0) out.tools = body.tools.map(translateTool);
  }
  if (body.tool_choice !== undefined) {
    const c = body.tool_choice;
    if (!isObject(c)) throw bad('"tool_choice" must be an object.');
    for (const k of Object.keys(c)) if (k !== 'type' && k !== 'name' && k !== 'disable_parallel_tool_use') throw unsupported(`tool_choice.${k}`);
    if (c.type === 'auto') out.tool_choice = 'auto';
    else if (c.type === 'any') out.tool_choice = 'required';
    else if (c.type === 'none') out.tool_choice = 'none';
    else if (c.type === 'tool' && typeof c.name === 'string') out.tool_choice = { type: 'function', function: { name: c.name } };
    else throw bad('"tool_choice.type" must be auto, any, tool (with a name) or none.');
    if (c.disable_parallel_tool_use === true && out.tools !== undefined) out.parallel_tool_calls = false;
  }
  return out;
}

/** A block's or tool's type, for a message. */
function kind(v: unknown): string {
  return typeof v === 'string' ? v : JSON.stringify(v) ?? 'untyped';
}

/** output_config: `format` (json_schema) → response_format; `effort` low/medium/high → reasoning_effort. */
function outputConfig(c: unknown, out: Json): void {
  if (!isObject(c)) throw bad('"output_config" must be an object.');
  noExtraKeys(c, ['format', 'effort'], 'output_config');
  if (isObject(c.format)) {
    noExtraKeys(c.format, ['type', 'schema'], 'output_config.format');
    if (c.format.type !== 'json_schema' || !isObject(c.format.schema)) throw bad('"output_config.format" must be {type: json_schema, schema}.');
    out.response_format = { type: 'json_schema', json_schema: { name: 'output', schema: c.format.schema, strict: true } };
  } else if (c.format !== undefined && c.format !== null) throw bad('"output_config.format" must be an object.');
  if (c.effort === 'low' || c.effort === 'medium' || c.effort === 'high') out.reasoning_effort = c.effort;
  else if (c.effort !== undefined && c.effort !== null) throw unsupported(`output_config.effort (${kind(c.effort)})`);
}

function noExtraKeys(obj: Json, allowed: readonly string[], at: string): void {
  for (const k of Object.keys(obj)) if (!allowed.includes(k)) throw unsupported(`${at}.${k}`);
}

function textBlock(b: unknown, at: string): string {
  if (!isObject(b) || b.type !== 'text' || typeof b.text !== 'string') throw bad(`"${at}" must be a text block.`);
  // cache_control is a caching hint (OpenAI caches prompts by itself): accepted, no effect.
  noExtraKeys(b, ['type', 'text', 'cache_control'], at);
  return b.text;
}

function systemContent(system: unknown): unknown {
  if (typeof system === 'string') return system;
  if (!Array.isArray(system)) throw bad('"system" must be a string or a list of text blocks.');
  return system.map((b, i) => ({ type: 'text', text: textBlock(b, `system[${i}]`) }));
}

function imagePart(b: Json, at: string): Json {
  noExtraKeys(b, ['type', 'source', 'cache_control'], at);
  const s = b.source;
  if (isObject(s) && s.type === 'base64' && typeof s.media_type === 'string' && typeof s.data === 'string') {
    return { type: 'image_url', image_url: { url: `data:${s.media_type};base64,${s.data}` } };
  }
  if (isObject(s) && s.type === 'url' && typeof s.url === 'string') return { type: 'image_url', image_url: { url: s.url } };
  throw bad(`"${at}.source" must be a base64 or url image source.`);
}

function toolResultText(b: Json, at: string): string {
  noExtraKeys(b, ['type', 'tool_use_id', 'content', 'is_error', 'cache_control'], at);
  let text: string;
  if (b.content === undefined) text = '';
  else if (typeof b.content === 'string') text = b.content;
  else if (Array.isArray(b.content)) {
    text = b.content.map((p, i) => {
      if (isObject(p) && p.type !== 'text') throw unsupported(`${at}.content[${i}] (${kind(p.type)} block)`);
      return textBlock(p, `${at}.content[${i}]`);
    }).join('\n');
  } else throw bad(`"${at}.content" must be a string or a list of blocks.`);
  // OpenAI tool messages have no error flag: it becomes a prefix of the text.
  return b.is_error === true ? `Error: ${text}` : text;
}

function translateMessage(m: unknown, at: string, out: Json[]): void {
  if (!isObject(m)) throw bad(`"${at}" must be an object.`);
  noExtraKeys(m, ['role', 'content'], at);
  if (m.role !== 'user' && m.role !== 'assistant') throw bad(`"${at}.role" must be user or assistant.`);
  if (typeof m.content === 'string') {
    out.push({ role: m.role, content: m.content });
    return;
  }
  if (!Array.isArray(m.content)) throw bad(`"${at}.content" must be a string or a list of blocks.`);
  if (m.role === 'user') {
    const parts: Json[] = [];
    m.content.forEach((b, i) => {
      const bat = `${at}.content[${i}]`;
      if (!isObject(b)) throw bad(`"${bat}" must be a block.`);
      if (b.type === 'text') parts.push({ type: 'text', text: textBlock(b, bat) });
      else if (b.type === 'image') parts.push(imagePart(b, bat));
      else if (b.type === 'tool_result') {
        if (typeof b.tool_use_id !== 'string') throw bad(`"${bat}.tool_use_id" must be a string.`);
        // Tool messages have to follow the assistant's tool calls directly.
        out.push({ role: 'tool', tool_call_id: b.tool_use_id, content: toolResultText(b, bat) });
      } else throw unsupported(`${bat} (${kind(b.type)} block)`);
    });
    if (parts.length > 0) out.push({ role: 'user', content: parts });
    return;
  }
  const texts: string[] = [];
  const calls: Json[] = [];
  m.content.forEach((b, i) => {
    const bat = `${at}.content[${i}]`;
    if (!isObject(b)) throw bad(`"${bat}" must be a block.`);
    if (b.type === 'text') texts.push(textBlock(b, bat));
    else if (b.type === 'tool_use') {
      noExtraKeys(b, ['type', 'id', 'name', 'input', 'cache_control'], bat);
      if (typeof b.id !== 'string' || typeof b.name !== 'string') throw bad(`"${bat}" needs an id and a name.`);
      calls.push({ id: b.id, type: 'function', function: { name: b.name, arguments: JSON.stringify(b.input ?? {}) } });
    } else throw unsupported(`${bat} (${kind(b.type)} block)`);
  });
  const msg: Json = { role: 'assistant', content: texts.length > 0 ? texts.join('') : null };
  if (calls.length > 0) msg.tool_calls = calls;
  out.push(msg);
}

function translateTool(t: unknown, i: number): Json {
  const at = `tools[${i}]`;
  if (!isObject(t)) throw bad(`"${at}" must be an object.`);
  if (t.type !== undefined && t.type !== 'custom') throw unsupported(`${at} (${kind(t.type)} tool)`);
  noExtraKeys(t, ['type', 'name', 'description', 'input_schema', 'cache_control'], at);
  if (typeof t.name !== 'string') throw bad(`"${at}.name" must be a string.`);
  const fn: Json = { name: t.name };
  if (typeof t.description === 'string') fn.description = t.description;
  fn.parameters = isObject(t.input_schema) ? t.input_schema : { type: 'object', properties: {} };
  return { type: 'function', function: fn };
}

export function stopReason(finish: unknown): string | null {
  switch (finish) {
    case 'stop': return 'end_turn';
    case 'length': return 'max_tokens';
    case 'tool_calls': case 'function_call': return 'tool_use';
    case 'content_filter': return 'refusal';
    case null: case undefined: return null;
    default: return 'end_turn';
  }
}

interface AnthropicUsage { input_tokens: number; output_tokens: number; cache_read_input_tokens: number }

function usageFrom(u: unknown): AnthropicUsage | null {
  if (!isObject(u)) return null;
  const n = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);
  const cached = isObject(u.prompt_tokens_details) ? n(u.prompt_tokens_details.cached_tokens) : 0;
  // Anthropic's input_tokens does not include cache reads; OpenAI's prompt_tokens does.
  return { input_tokens: Math.max(0, n(u.prompt_tokens) - cached), output_tokens: n(u.completion_tokens), cache_read_input_tokens: cached };
}

function gatewayUsage(u: AnthropicUsage | null): Usage | null {
  return u === null ? null : { inputTokens: u.input_tokens + u.cache_read_input_tokens, outputTokens: u.output_tokens, cacheReadTokens: u.cache_read_input_tokens, cacheWriteTokens: null };
}

function messageId(id: unknown): string {
  return typeof id === 'string' && id !== '' ? `msg_${id}` : `msg_${Date.now().toString(36)}`;
}

function parseArguments(args: unknown): unknown {
  if (typeof args !== 'string' || args.trim() === '') return {};
  try {
    return parseJson(args, UNTRUSTED_JSON);
  } catch (err) {
    throw new GatewayError('AE_UPSTREAM_PROTOCOL', { detail: `tool call arguments: ${(err as Error).message}` });
  }
}

/** Translates a whole chat.completion into an Anthropic Message. */
export function openAIToMessage(raw: string, clientModel: string): { body: string; usage: Usage | null } {
  let obj: unknown;
  try {
    obj = parseJson(raw, UNTRUSTED_JSON);
  } catch (err) {
    throw new GatewayError('AE_UPSTREAM_PROTOCOL', { detail: `chat completion: ${(err as Error).message}` });
  }
  if (!isObject(obj) || !Array.isArray(obj.choices)) throw new GatewayError('AE_UPSTREAM_PROTOCOL', { detail: 'chat completion without choices' });
  const choice: unknown = obj.choices[0];
  const message = isObject(choice) && isObject(choice.message) ? choice.message : {};
  const content: Json[] = [];
  if (typeof message.content === 'string' && message.content !== '') content.push({ type: 'text', text: message.content });
  if (Array.isArray(message.tool_calls)) {
    for (const c of message.tool_calls) {
      if (!isObject(c) || !isObject(c.function)) continue;
      content.push({ type: 'tool_use', id: typeof c.id === 'string' ? c.id : '', name: typeof c.function.name === 'string' ? c.function.name : '', input: parseArguments(c.function.arguments) });
    }
  }
  const usage = usageFrom(obj.usage);
  const body = {
    id: messageId(obj.id), type: 'message', role: 'assistant', model: clientModel, content,
    stop_reason: stopReason(isObject(choice) ? choice.finish_reason : null) ?? 'end_turn', stop_sequence: null,
    usage: usage ?? { input_tokens: 0, output_tokens: 0, cache_read_input_tokens: 0 },
  };
  return { body: JSON.stringify(body), usage: gatewayUsage(usage) };
}

function event(data: Json): string {
  return `event: ${String(data.type)}\ndata: ${JSON.stringify(data)}\n\n`;
}

/**
 * Turns OpenAI chat.completion.chunk events (any chunk boundary) into Anthropic stream
 * events: message_start, content blocks (text, tool_use with input_json_delta), then
 * message_delta and message_stop on `[DONE]`.
 */
export class OpenAIToAnthropicStream extends ChatEventTranslator {
  readonly #model: string;
  #started = false;
  /** The open block: its Anthropic index, and for a tool call the OpenAI tool index. */
  #block: { index: number; tool: number | null } | null = null;
  #next = 0;
  #finish: unknown = null;
  #usage: AnthropicUsage | null = null;

  constructor(clientModel: string, maxEventBytes = LLM_LIMIT_DEFAULTS.maxEventBytes) {
    super(maxEventBytes);
    this.#model = clientModel;
  }

  get usage(): Usage | null { return gatewayUsage(this.#usage); }

  /** True when the upstream said how it finished (its `[DONE]` may still be missing). */
  get sawFinish(): boolean { return this.#finish !== null; }

  /** Ends the message (on `[DONE]`, or when the upstream closed after its finish reason). */
  override end(): string {
    if (this.finished) return '';
    let out = this.#start('');
    out += this.#close();
    const usage = this.#usage;
    out += event({
      type: 'message_delta',
      delta: { stop_reason: stopReason(this.#finish) ?? 'end_turn', stop_sequence: null },
      usage: usage === null ? { output_tokens: 0 } : { ...usage },
    });
    out += event({ type: 'message_stop' });
    this.finished = true;
    return out;
  }

  protected override translateChunk(obj: Json): string {
    let out = this.#start(obj.id);
    const u = usageFrom(obj.usage);
    if (u !== null) this.#usage = u;
    const choice: unknown = Array.isArray(obj.choices) ? obj.choices[0] : undefined;
    if (!isObject(choice)) return out;
    const delta = isObject(choice.delta) ? choice.delta : {};
    if (typeof delta.content === 'string' && delta.content !== '') {
      if (this.#block === null || this.#block.tool !== null) {
        out += this.#close();
        out += this.#open({ type: 'text', text: '' }, null);
      }
      out += event({ type: 'content_block_delta', index: this.#block!.index, delta: { type: 'text_delta', text: delta.content } });
    }
    if (Array.isArray(delta.tool_calls)) {
      for (const tc of delta.tool_calls) {
        if (!isObject(tc)) continue;
        const idx = typeof tc.index === 'number' ? tc.index : 0;
        const fn = isObject(tc.function) ? tc.function : {};
        if (this.#block === null || this.#block.tool !== idx) {
          out += this.#close();
          out += this.#open({ type: 'tool_use', id: typeof tc.id === 'string' ? tc.id : `toolu_${idx}`, name: typeof fn.name === 'string' ? fn.name : '', input: {} }, idx);
        }
        if (typeof fn.arguments === 'string' && fn.arguments !== '') {
          out += event({ type: 'content_block_delta', index: this.#block!.index, delta: { type: 'input_json_delta', partial_json: fn.arguments } });
        }
      }
    }
    if (choice.finish_reason !== null && choice.finish_reason !== undefined) this.#finish = choice.finish_reason;
    return out;
  }

  #start(id: unknown): string {
    if (this.#started) return '';
    this.#started = true;
    return event({
      type: 'message_start',
      message: {
        id: messageId(id), type: 'message', role: 'assistant', model: this.#model, content: [],
        stop_reason: null, stop_sequence: null,
        // OpenAI reports usage at the end: the totals come in message_delta.
        usage: { input_tokens: 0, output_tokens: 0 },
      },
    });
  }

  #open(block: Json, tool: number | null): string {
    const index = this.#next++;
    this.#block = { index, tool };
    return event({ type: 'content_block_start', index, content_block: block });
  }

  #close(): string {
    if (this.#block === null) return '';
    const index = this.#block.index;
    this.#block = null;
    return event({ type: 'content_block_stop', index });
  }
}

/**
 * An estimate of a request's input tokens for providers without a counting endpoint:
 * about one token per 4 characters of text (system, messages, tool inputs and results,
 * tool definitions), plus a few per message, and a flat 1,600 per image.
 */
export function estimateInputTokens(body: Json): number {
  let chars = 0;
  let extra = 3;
  const count = (v: unknown): void => {
    if (typeof v === 'string') chars += v.length;
    else if (Array.isArray(v)) v.forEach(count);
    else if (isObject(v)) {
      if (v.type === 'image') { extra += 1600; return; }
      if (v.type === 'text') { count(v.text); return; }
      if (v.type === 'tool_use') { chars += JSON.stringify(v.input ?? {}).length + (typeof v.name === 'string' ? v.name.length : 0); return; }
      if (v.type === 'tool_result') { count(v.content); return; }
      chars += JSON.stringify(v).length;
    }
  };
  count(body.system);
  if (Array.isArray(body.messages)) {
    for (const m of body.messages) {
      extra += 4;
      if (isObject(m)) count(m.content);
    }
  }
  if (Array.isArray(body.tools)) chars += JSON.stringify(body.tools).length;
  return Math.ceil(chars / 4) + extra;
}
