// The OpenAI Responses front (P/responses) over providers reached through OpenAI chat:
// a Responses request → a chat request, and the answer back (a chat.completion → a
// `response` object, chat chunks → Responses stream events). The gateway is stateless, so
// everything that needs OpenAI's storage (previous_response_id, conversation, stored
// prompts, file ids) is refused. Every field is translated, accepted, or refused with a 400
// naming it; see README.md ("Responses front") for the table.
import { randomBytes } from 'node:crypto';
import { ERRORS, GatewayError, parseJson, SseEventReader, sseTextEvents, UNTRUSTED_JSON } from '../core/index.js';
import { LLM_LIMIT_DEFAULTS, type LlmModelSpec } from '../config/index.js';
import { readChatChunk } from './chat-chunk.js';
import { isObject } from './openai-errors.js';
import type { Usage } from './usage.js';

type Json = Record<string, unknown>;

function bad(message: string): GatewayError {
  return new GatewayError('AE_BAD_REQUEST', { message });
}

function unsupported(field: string, why = 'its provider is reached through the chat completions translation'): GatewayError {
  return bad(`"${field}" is not supported on the responses endpoint for this model (${why}).`);
}

const STATELESS = 'the gateway does not store responses or conversations';

/** Top-level request fields translated or accepted; any other is refused. */
const KNOWN_FIELDS = new Set([
  'model', 'input', 'instructions', 'max_output_tokens', 'temperature', 'top_p', 'parallel_tool_calls', 'user',
  'safety_identifier', 'metadata', 'stream', 'stream_options', 'store', 'tools', 'tool_choice', 'text', 'reasoning',
  'include', 'background', 'conversation', 'previous_response_id', 'prompt', 'context_management', 'moderation',
  'prompt_cache_key', 'prompt_cache_options', 'prompt_cache_retention', 'service_tier', 'top_logprobs', 'truncation',
  'max_tool_calls',
]);

/**
 * `include` values accepted because they name output this path never produces (built-in
 * tool results, reasoning items) or only affect stored input items: asking for them is
 * harmless. Log probabilities would be real output the chat providers here cannot give.
 */
const VACUOUS_INCLUDES = new Set([
  'reasoning.encrypted_content', 'message.input_image.image_url', 'file_search_call.results', 'web_search_call.results',
  'web_search_call.action.sources', 'computer_call_output.output.image_url', 'code_interpreter_call.outputs',
]);

const EFFORTS = new Set(['none', 'minimal', 'low', 'medium', 'high', 'xhigh', 'max']);

const set = (v: unknown): boolean => v !== undefined && v !== null;

/** A type name for a message (an item's, a part's or a tool's). */
function kind(v: unknown): string {
  return typeof v === 'string' ? v : JSON.stringify(v) ?? 'untyped';
}

function noExtraKeys(obj: Json, allowed: readonly string[], at: string): void {
  for (const k of Object.keys(obj)) if (!allowed.includes(k)) throw unsupported(`${at}.${k}`);
}

/** Translates a Responses request into an OpenAI chat request for `model`'s provider. */
export function responsesToChat(body: Json, model: LlmModelSpec): Json {
  for (const key of Object.keys(body)) if (!KNOWN_FIELDS.has(key)) throw unsupported(key);
  refuseStateful(body);
  const out: Json = { model: model.upstreamModel };
  const messages: Json[] = [];
  if (set(body.instructions)) {
    if (typeof body.instructions !== 'string') throw bad('"instructions" must be a string.');
    messages.push({ role: 'system', content: body.instructions });
  }
  translateInput(body.input, messages);
  out.messages = messages;
  if (set(body.max_output_tokens)) {
    const n = body.max_output_tokens;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 1) throw bad('"max_output_tokens" must be a positive integer.');
    // OpenAI's own chat API deprecates max_tokens; compatible servers know max_tokens.
    out[model.provider === 'openai' ? 'max_completion_tokens' : 'max_tokens'] = n;
  }
  for (const k of ['temperature', 'top_p'] as const) {
    if (!set(body[k])) continue;
    if (typeof body[k] !== 'number') throw bad(`"${k}" must be a number.`);
    out[k] = body[k];
  }
  if (set(body.parallel_tool_calls)) {
    if (typeof body.parallel_tool_calls !== 'boolean') throw bad('"parallel_tool_calls" must be a boolean.');
    out.parallel_tool_calls = body.parallel_tool_calls;
  }
  endUser(body, out);
  checkMetadata(body.metadata);
  streamOptions(body, out);
  if (set(body.store) && typeof body.store !== 'boolean') throw bad('"store" must be a boolean.');
  if (set(body.tools)) {
    if (!Array.isArray(body.tools)) throw bad('"tools" must be an array.');
    if (body.tools.length > 0) out.tools = body.tools.map(translateTool);
  }
  if (set(body.tool_choice)) out.tool_choice = toolChoice(body.tool_choice);
  if (set(body.text)) textConfig(body.text, out);
  if (set(body.reasoning)) reasoning(body.reasoning, out);
  acceptedDefaults(body);
  return out;
}

/** Fields that only make sense with OpenAI's storage or its hosted features. */
function refuseStateful(body: Json): void {
  for (const k of ['previous_response_id', 'conversation', 'prompt', 'context_management', 'moderation'] as const) {
    if (set(body[k])) throw unsupported(k, k === 'moderation' || k === 'context_management' ? 'an OpenAI-hosted feature' : STATELESS);
  }
  if (set(body.background) && body.background !== false) throw unsupported('background', STATELESS);
}

/** `user` → chat `user`; `safety_identifier` (its successor) → `user` as well. */
function endUser(body: Json, out: Json): void {
  for (const k of ['user', 'safety_identifier'] as const) {
    if (set(body[k]) && typeof body[k] !== 'string') throw bad(`"${k}" must be a string.`);
  }
  if (set(body.user) && set(body.safety_identifier) && body.user !== body.safety_identifier) {
    throw bad('"user" and "safety_identifier" both name the end user here; send one of them (or the same value).');
  }
  const who = body.user ?? body.safety_identifier;
  if (typeof who === 'string') out.user = who;
}

/** metadata is kept on the response object only (chat providers have nowhere to put it). */
function checkMetadata(m: unknown): void {
  if (!set(m)) return;
  if (!isObject(m)) throw bad('"metadata" must be an object.');
  const entries = Object.entries(m);
  if (entries.length > 16) throw bad('"metadata" takes at most 16 keys.');
  for (const [k, v] of entries) {
    if (typeof v !== 'string' || k.length > 64 || v.length > 512) throw bad(`"metadata.${k}" must be a string of at most 512 characters (keys at most 64).`);
  }
}

function streamOptions(body: Json, out: Json): void {
  if (set(body.stream) && typeof body.stream !== 'boolean') throw bad('"stream" must be a boolean.');
  if (set(body.stream_options)) {
    if (!isObject(body.stream_options)) throw bad('"stream_options" must be an object.');
    noExtraKeys(body.stream_options, ['include_obfuscation'], 'stream_options');
    const o = body.stream_options.include_obfuscation;
    // Obfuscation pads deltas against length side channels; these events carry none.
    if (set(o) && typeof o !== 'boolean') throw bad('"stream_options.include_obfuscation" must be a boolean.');
  }
  if (body.stream === true) {
    out.stream = true;
    // Always: the gateway accounts the tokens, and Responses streams end with usage anyway.
    out.stream_options = { include_usage: true };
  }
}

/** Fields accepted at their default (or as hints with no effect); other values are refused. */
function acceptedDefaults(body: Json): void {
  if (set(body.include)) {
    if (!Array.isArray(body.include)) throw bad('"include" must be an array.');
    for (const v of body.include) if (typeof v !== 'string' || !VACUOUS_INCLUDES.has(v)) throw unsupported(`include (${kind(v)})`);
  }
  if (set(body.service_tier) && body.service_tier !== 'auto' && body.service_tier !== 'default') throw unsupported(`service_tier (${kind(body.service_tier)})`);
  if (set(body.top_logprobs) && body.top_logprobs !== 0) throw unsupported('top_logprobs');
  if (set(body.truncation) && body.truncation !== 'disabled') throw unsupported(`truncation (${kind(body.truncation)})`);
  // Limits calls to built-in tools, which this path refuses anyway.
  if (set(body.max_tool_calls) && (typeof body.max_tool_calls !== 'number' || !Number.isInteger(body.max_tool_calls) || body.max_tool_calls < 0)) {
    throw bad('"max_tool_calls" must be a non-negative integer.');
  }
  // Prompt caching hints: the providers behind chat cache by their own rules.
  if (set(body.prompt_cache_key) && typeof body.prompt_cache_key !== 'string') throw bad('"prompt_cache_key" must be a string.');
  if (set(body.prompt_cache_retention) && body.prompt_cache_retention !== 'in_memory' && body.prompt_cache_retention !== '24h') {
    throw bad('"prompt_cache_retention" must be in_memory or 24h.');
  }
  if (set(body.prompt_cache_options) && !isObject(body.prompt_cache_options)) throw bad('"prompt_cache_options" must be an object.');
}

function translateInput(input: unknown, out: Json[]): void {
  if (typeof input === 'string') {
    out.push({ role: 'user', content: input });
    return;
  }
  if (!Array.isArray(input)) throw bad('"input" must be a string or a list of input items.');
  input.forEach((item, i) => { translateItem(item, `input[${i}]`, out); });
}

function translateItem(item: unknown, at: string, out: Json[]): void {
  if (!isObject(item)) throw bad(`"${at}" must be an object.`);
  // An "easy input message" may leave out its type.
  const type = item.type ?? (item.role !== undefined ? 'message' : undefined);
  if (type === 'message') messageItem(item, at, out);
  else if (type === 'function_call') functionCallItem(item, at, out);
  else if (type === 'function_call_output') functionOutputItem(item, at, out);
  else if (type === 'item_reference') throw unsupported(`${at} (item_reference)`, STATELESS);
  else throw unsupported(`${at} (${kind(type)} item)`);
}

function messageItem(m: Json, at: string, out: Json[]): void {
  // id/status/phase describe an earlier output item sent back; they change nothing here.
  noExtraKeys(m, ['type', 'role', 'content', 'id', 'status', 'phase'], at);
  const role = m.role;
  if (role !== 'user' && role !== 'assistant' && role !== 'system' && role !== 'developer') {
    throw bad(`"${at}.role" must be user, assistant, system or developer.`);
  }
  // "developer" is OpenAI's newer name for "system"; compatible servers know "system".
  const chatRole = role === 'developer' ? 'system' : role;
  if (typeof m.content === 'string') {
    out.push({ role: chatRole, content: m.content });
    return;
  }
  if (!Array.isArray(m.content)) throw bad(`"${at}.content" must be a string or a list of content parts.`);
  const parts = m.content.map((p, i) => contentPart(p, `${at}.content[${i}]`, role));
  if (role === 'assistant') {
    out.push({ role: 'assistant', content: parts.map((p) => p.text as string).join('') });
    return;
  }
  // Text alone becomes a plain string: every chat server understands that.
  const textOnly = parts.every((p) => p.type === 'text');
  out.push({ role: chatRole, content: textOnly && parts.length === 1 ? parts[0]!.text : parts });
}

function contentPart(p: unknown, at: string, role: string): Json {
  if (!isObject(p)) throw bad(`"${at}" must be a content part.`);
  const text = (): Json => {
    if (typeof p.text !== 'string') throw bad(`"${at}.text" must be a string.`);
    return { type: 'text', text: p.text };
  };
  if (role === 'assistant') {
    // Earlier output sent back: annotations and logprobs describe it, they are not input.
    if (p.type === 'output_text' || p.type === 'input_text') {
      noExtraKeys(p, ['type', 'text', 'annotations', 'logprobs'], at);
      return text();
    }
    throw unsupported(`${at} (${kind(p.type)} part)`);
  }
  if (p.type === 'input_text') {
    // prompt_cache_breakpoint is a caching hint: accepted, no effect.
    noExtraKeys(p, ['type', 'text', 'prompt_cache_breakpoint'], at);
    return text();
  }
  if (p.type === 'input_image' && role === 'user') return imagePart(p, at);
  if (p.type === 'input_file') throw unsupported(`${at} (input_file part)`);
  throw unsupported(`${at} (${kind(p.type)} part)`);
}

function imagePart(p: Json, at: string): Json {
  noExtraKeys(p, ['type', 'image_url', 'file_id', 'detail', 'prompt_cache_breakpoint'], at);
  if (set(p.file_id)) throw unsupported(`${at}.file_id`, 'files live in OpenAI storage; send image_url (a URL or a data: URL)');
  if (typeof p.image_url !== 'string' || p.image_url === '') throw bad(`"${at}.image_url" must be a URL or a data: URL.`);
  const image: Json = { url: p.image_url };
  if (set(p.detail)) {
    if (p.detail !== 'auto' && p.detail !== 'low' && p.detail !== 'high') throw unsupported(`${at}.detail (${kind(p.detail)})`);
    image.detail = p.detail;
  }
  return { type: 'image_url', image_url: image };
}

function callerIsDirect(c: unknown): boolean {
  return !set(c) || (isObject(c) && c.type === 'direct');
}

function functionCallItem(c: Json, at: string, out: Json[]): void {
  noExtraKeys(c, ['type', 'call_id', 'name', 'arguments', 'id', 'status', 'namespace', 'caller'], at);
  if (typeof c.call_id !== 'string' || typeof c.name !== 'string') throw bad(`"${at}" needs a call_id and a name.`);
  if (typeof c.arguments !== 'string') throw bad(`"${at}.arguments" must be a string (JSON).`);
  if (set(c.namespace)) throw unsupported(`${at}.namespace`);
  if (!callerIsDirect(c.caller)) throw unsupported(`${at}.caller`);
  const call = { id: c.call_id, type: 'function', function: { name: c.name, arguments: c.arguments } };
  // Chat wants every call of a turn on one assistant message, before the tool results.
  const last = out[out.length - 1];
  if (last !== undefined && last.role === 'assistant') {
    const calls = Array.isArray(last.tool_calls) ? last.tool_calls : [];
    last.tool_calls = [...(calls as unknown[]), call];
    if (last.content === '') last.content = null;
    return;
  }
  out.push({ role: 'assistant', content: null, tool_calls: [call] });
}

function functionOutputItem(o: Json, at: string, out: Json[]): void {
  noExtraKeys(o, ['type', 'call_id', 'output', 'id', 'status', 'caller'], at);
  if (typeof o.call_id !== 'string') throw bad(`"${at}.call_id" must be a string.`);
  if (!callerIsDirect(o.caller)) throw unsupported(`${at}.caller`);
  let content: string;
  if (typeof o.output === 'string') content = o.output;
  else if (Array.isArray(o.output)) {
    content = o.output.map((p, i) => {
      const pat = `${at}.output[${i}]`;
      if (!isObject(p) || p.type !== 'input_text') throw unsupported(`${pat} (${kind(isObject(p) ? p.type : p)} part)`, 'chat tool results hold text only');
      noExtraKeys(p, ['type', 'text', 'prompt_cache_breakpoint'], pat);
      if (typeof p.text !== 'string') throw bad(`"${pat}.text" must be a string.`);
      return p.text;
    }).join('\n');
  } else throw bad(`"${at}.output" must be a string or a list of content parts.`);
  out.push({ role: 'tool', tool_call_id: o.call_id, content });
}

function translateTool(t: unknown, i: number): Json {
  const at = `tools[${i}]`;
  if (!isObject(t)) throw bad(`"${at}" must be an object.`);
  if (t.type !== 'function') throw unsupported(`${at} (${kind(t.type)} tool)`, 'only function tools can be translated; built-in tools run on OpenAI');
  noExtraKeys(t, ['type', 'name', 'description', 'parameters', 'strict', 'defer_loading', 'allowed_callers', 'output_schema'], at);
  if (typeof t.name !== 'string' || t.name === '') throw bad(`"${at}.name" must be a string.`);
  if (t.defer_loading === true) throw unsupported(`${at}.defer_loading`);
  if (set(t.allowed_callers) && !(Array.isArray(t.allowed_callers) && t.allowed_callers.every((c) => c === 'direct'))) {
    throw unsupported(`${at}.allowed_callers`);
  }
  if (set(t.output_schema)) throw unsupported(`${at}.output_schema`);
  const fn: Json = { name: t.name };
  if (set(t.description)) {
    if (typeof t.description !== 'string') throw bad(`"${at}.description" must be a string.`);
    fn.description = t.description;
  }
  if (set(t.parameters)) {
    if (!isObject(t.parameters)) throw bad(`"${at}.parameters" must be a JSON schema object.`);
    fn.parameters = t.parameters;
  }
  if (set(t.strict)) {
    if (typeof t.strict !== 'boolean') throw bad(`"${at}.strict" must be a boolean.`);
    fn.strict = t.strict;
  }
  return { type: 'function', function: fn };
}

function toolChoice(c: unknown): unknown {
  if (c === 'none' || c === 'auto' || c === 'required') return c;
  if (isObject(c) && c.type === 'function') {
    noExtraKeys(c, ['type', 'name'], 'tool_choice');
    if (typeof c.name !== 'string') throw bad('"tool_choice.name" must be a string.');
    return { type: 'function', function: { name: c.name } };
  }
  if (isObject(c)) throw unsupported(`tool_choice (${kind(c.type)})`);
  throw bad('"tool_choice" must be none, auto, required or {type: function, name}.');
}

/** text.format → response_format; text.verbosity → verbosity (the chat name). */
function textConfig(t: unknown, out: Json): void {
  if (!isObject(t)) throw bad('"text" must be an object.');
  noExtraKeys(t, ['format', 'verbosity'], 'text');
  if (set(t.verbosity)) {
    if (t.verbosity !== 'low' && t.verbosity !== 'medium' && t.verbosity !== 'high') throw bad('"text.verbosity" must be low, medium or high.');
    out.verbosity = t.verbosity;
  }
  const f = t.format;
  if (!set(f)) return;
  if (!isObject(f)) throw bad('"text.format" must be an object.');
  if (f.type === 'text') {
    noExtraKeys(f, ['type'], 'text.format');
    return; // the default: nothing to ask for
  }
  if (f.type === 'json_object') {
    noExtraKeys(f, ['type'], 'text.format');
    out.response_format = { type: 'json_object' };
    return;
  }
  if (f.type !== 'json_schema') throw unsupported(`text.format (${kind(f.type)})`);
  noExtraKeys(f, ['type', 'name', 'schema', 'description', 'strict'], 'text.format');
  if (typeof f.name !== 'string' || !isObject(f.schema)) throw bad('"text.format" json_schema needs a name and a schema object.');
  // Chat nests the same fields under json_schema.
  const js: Json = { name: f.name, schema: f.schema };
  if (typeof f.description === 'string') js.description = f.description;
  if (set(f.strict)) {
    if (typeof f.strict !== 'boolean') throw bad('"text.format.strict" must be a boolean.');
    js.strict = f.strict;
  }
  out.response_format = { type: 'json_schema', json_schema: js };
}

/** reasoning.effort → reasoning_effort; the provider's chat translation decides if it can. */
function reasoning(r: unknown, out: Json): void {
  if (!isObject(r)) throw bad('"reasoning" must be an object.');
  noExtraKeys(r, ['effort', 'summary', 'generate_summary', 'context', 'mode'], 'reasoning');
  if (set(r.effort)) {
    if (typeof r.effort !== 'string' || !EFFORTS.has(r.effort)) throw bad('"reasoning.effort" must be none, minimal, low, medium, high, xhigh or max.');
    out.reasoning_effort = r.effort;
  }
  // Summaries are accepted with no effect: chat answers carry no reasoning summary, and
  // OpenAI does not promise one either. Other reasoning controls have no chat equivalent.
  for (const k of ['summary', 'generate_summary'] as const) {
    if (set(r[k]) && r[k] !== 'auto' && r[k] !== 'concise' && r[k] !== 'detailed') throw bad(`"reasoning.${k}" must be auto, concise or detailed.`);
  }
  if (set(r.context) && r.context !== 'auto') throw unsupported(`reasoning.context (${kind(r.context)})`);
  if (set(r.mode) && r.mode !== 'standard') throw unsupported(`reasoning.mode (${kind(r.mode)})`);
}

// ---------------------------------------------------------------------------------------
// Answers: chat → Responses

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

const ZERO_USAGE: ResponsesUsage = {
  input_tokens: 0, input_tokens_details: { cached_tokens: 0, cache_write_tokens: 0 },
  output_tokens: 0, output_tokens_details: { reasoning_tokens: 0 }, total_tokens: 0,
};

interface BothUsages { responses: ResponsesUsage; gateway: Usage }

/**
 * Chat usage → Responses usage (both count cached tokens inside the input tokens) and the
 * gateway's Usage, where a figure the provider did not give stays null.
 */
function usageFrom(u: unknown): BothUsages | null {
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
function outcome(finish: unknown): { status: 'completed' | 'incomplete'; incomplete_details: { reason: string } | null } {
  if (finish === 'length') return { status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' } };
  if (finish === 'content_filter') return { status: 'incomplete', incomplete_details: { reason: 'content_filter' } };
  return { status: 'completed', incomplete_details: null };
}

function newId(): string {
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
function shell(request: Json, modelName: string, id: string, createdAt: number): Json {
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

function textPart(text: string): Json {
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

// ---------------------------------------------------------------------------------------
// Streams

function sseEvent(type: string, data: Json): string {
  return `event: ${type}\ndata: ${JSON.stringify(data)}\n\n`;
}

/**
 * The event a started Responses stream ends with when it fails. The documented shape has
 * code/message/param at the top level; OpenAI's live API nests them under `error`, which is
 * also what makes the openai SDK raise an APIError. Both are sent.
 */
export function responsesStreamError(err: GatewayError, sequenceNumber = 0, requestId?: string): string {
  const error: Json = { type: ERRORS[err.code].type, code: err.code, message: err.publicMessage, param: null };
  if (requestId !== undefined) error.request_id = requestId;
  return sseEvent('error', { type: 'error', sequence_number: sequenceNumber, code: err.code, message: err.publicMessage, param: null, error });
}

interface OpenMessage {
  kind: 'message';
  index: number;
  item: Json & { content: Json[] };
  /** The open content part, if any. */
  part: { kind: 'text' | 'refusal'; index: number } | null;
}

interface OpenCall {
  kind: 'call';
  index: number;
  tool: number;
  item: Json & { arguments: string; name: string };
}

/**
 * Turns OpenAI chat.completion.chunk events (any chunk boundary) into Responses stream
 * events: response.created / in_progress on the first chunk, a message item for text (an
 * output_text part, plus a refusal part if one comes), a function_call item per tool call,
 * each item closed when the next begins, then response.completed (or .incomplete) with the
 * full response and usage on `[DONE]`.
 */
export class ChatToResponsesStream {
  readonly #maxEventBytes: number;
  /** Only for push(): in the relay, events() gets the provider stage's whole events. */
  #reader: SseEventReader | null = null;
  readonly #model: string;
  readonly #request: Json;
  readonly #id: string;
  readonly #createdAt: number;
  #seq = 0;
  #started = false;
  readonly #output: Json[] = [];
  #open: OpenMessage | OpenCall | null = null;
  /** Function call items by chat tool index (a late fragment still finds its item). */
  readonly #calls = new Map<number, OpenCall>();
  #finish: unknown = null;
  #usage: BothUsages | null = null;
  finished = false;
  failed = false;
  /** The upstream's error message, when `failed` (for logs; clients get the gateway's error). */
  errorMessage = '';

  constructor(modelName: string, request: Json, ids: ResponseIds = {}, maxEventBytes = LLM_LIMIT_DEFAULTS.maxEventBytes) {
    this.#maxEventBytes = maxEventBytes;
    this.#model = modelName;
    this.#request = request;
    this.#id = ids.id ?? newId();
    this.#createdAt = ids.createdAt ?? Math.floor(Date.now() / 1000);
  }

  get usage(): Usage | null { return this.#usage?.gateway ?? null; }

  /** True when the upstream said how it finished (its `[DONE]` may still be missing). */
  get sawFinish(): boolean { return this.#finish !== null; }

  /** The sequence number the next event gets (for an error event written by the caller). */
  get sequenceNumber(): number { return this.#seq; }

  /** Takes upstream chat SSE bytes; returns whole Responses events (maybe none). */
  push(chunk: Buffer | string): string {
    if (this.finished) return '';
    return this.#translate((this.#reader ??= new SseEventReader(this.#maxEventBytes, 'chat stream')).push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk));
  }

  /** Takes whole chat events (a provider stage's output); returns whole Responses events. */
  events(text: string): string {
    return this.finished ? '' : this.#translate(sseTextEvents(text));
  }

  #translate(events: string[]): string {
    let out = '';
    for (const ev of events) {
      if (this.finished) break;
      out += this.#event(ev);
    }
    return out;
  }

  /** Ends the response (on `[DONE]`, or when the upstream closed after its finish reason). */
  end(): string {
    if (this.finished) return '';
    let out = this.#start();
    const end = outcome(this.#finish);
    out += this.#close(end.status);
    const response = { ...this.#shell(), ...end, output: this.#output, usage: this.#usage?.responses ?? ZERO_USAGE };
    const type = end.status === 'completed' ? 'response.completed' : 'response.incomplete';
    out += this.#emit(type, { response });
    this.finished = true;
    return out;
  }

  /** The terminal error event for this stream (its next sequence number); the stream is over. */
  fail(err: GatewayError, requestId?: string): string {
    this.finished = true;
    return responsesStreamError(err, this.#seq++, requestId);
  }

  #shell(): Json {
    return shell(this.#request, this.#model, this.#id, this.#createdAt);
  }

  #emit(type: string, fields: Json): string {
    return sseEvent(type, { type, sequence_number: this.#seq++, ...fields });
  }

  #event(ev: string): string {
    const c = readChatChunk(ev);
    if (c.kind === 'skip') return '';
    if (c.kind === 'done') return this.end();
    if (c.kind === 'error') {
      this.failed = true;
      this.finished = true;
      this.errorMessage = c.message;
      return '';
    }
    const obj = c.chunk;
    let out = this.#start();
    const u = usageFrom(obj.usage);
    if (u !== null) this.#usage = u;
    const choice: unknown = Array.isArray(obj.choices) ? obj.choices[0] : undefined;
    if (!isObject(choice)) return out;
    const delta = isObject(choice.delta) ? choice.delta : {};
    if (typeof delta.content === 'string' && delta.content !== '') out += this.#text('text', delta.content);
    if (typeof delta.refusal === 'string' && delta.refusal !== '') out += this.#text('refusal', delta.refusal);
    if (Array.isArray(delta.tool_calls)) {
      for (const tc of delta.tool_calls) if (isObject(tc)) out += this.#toolCall(tc);
    }
    if (set(choice.finish_reason)) this.#finish = choice.finish_reason;
    return out;
  }

  #start(): string {
    if (this.#started) return '';
    this.#started = true;
    const response = this.#shell();
    return this.#emit('response.created', { response }) + this.#emit('response.in_progress', { response });
  }

  /** A text or refusal fragment: into the open message item's part of that kind. */
  #text(kind: 'text' | 'refusal', fragment: string): string {
    let out = '';
    let msg = this.#open;
    if (msg === null || msg.kind !== 'message') {
      out += this.#close('completed');
      const item = { id: `msg_${this.#id}_${this.#output.length}`, type: 'message', status: 'in_progress', role: 'assistant', content: [] as Json[] };
      msg = { kind: 'message', index: this.#output.length, item, part: null };
      this.#output.push(item);
      this.#open = msg;
      out += this.#emit('response.output_item.added', { output_index: msg.index, item });
    }
    if (msg.part === null || msg.part.kind !== kind) {
      out += this.#closePart(msg);
      const part = kind === 'text' ? textPart('') : { type: 'refusal', refusal: '' };
      msg.part = { kind, index: msg.item.content.length };
      msg.item.content.push(part);
      out += this.#emit('response.content_part.added', { item_id: msg.item.id, output_index: msg.index, content_index: msg.part.index, part });
    }
    const part = msg.item.content[msg.part.index]!;
    const where = { item_id: msg.item.id, output_index: msg.index, content_index: msg.part.index };
    if (kind === 'text') {
      part.text = (part.text as string) + fragment;
      return out + this.#emit('response.output_text.delta', { ...where, delta: fragment, logprobs: [] });
    }
    part.refusal = (part.refusal as string) + fragment;
    return out + this.#emit('response.refusal.delta', { ...where, delta: fragment });
  }

  #closePart(msg: OpenMessage): string {
    if (msg.part === null) return '';
    const part = msg.item.content[msg.part.index]!;
    const where = { item_id: msg.item.id, output_index: msg.index, content_index: msg.part.index };
    const done = msg.part.kind === 'text'
      ? this.#emit('response.output_text.done', { ...where, text: part.text, logprobs: [] })
      : this.#emit('response.refusal.done', { ...where, refusal: part.refusal });
    msg.part = null;
    return done + this.#emit('response.content_part.done', { ...where, part });
  }

  #toolCall(tc: Json): string {
    const tool = typeof tc.index === 'number' ? tc.index : 0;
    const fn = isObject(tc.function) ? tc.function : {};
    let out = '';
    let call = this.#calls.get(tool);
    if (call === undefined) {
      out += this.#close('completed');
      const item = {
        id: `fc_${this.#id}_${this.#output.length}`, type: 'function_call', status: 'in_progress', arguments: '',
        call_id: typeof tc.id === 'string' && tc.id !== '' ? tc.id : `call_${tool}`, name: typeof fn.name === 'string' ? fn.name : '',
      };
      call = { kind: 'call', index: this.#output.length, tool, item };
      this.#calls.set(tool, call);
      this.#output.push(item);
      this.#open = call;
      out += this.#emit('response.output_item.added', { output_index: call.index, item: { ...item } });
    }
    if (typeof fn.arguments === 'string' && fn.arguments !== '') {
      // Chat streams send one call after another; a fragment for an earlier call (never
      // seen from the providers here) still lands on its item and in the final response.
      call.item.arguments += fn.arguments;
      out += this.#emit('response.function_call_arguments.delta', { item_id: call.item.id, output_index: call.index, delta: fn.arguments });
    }
    return out;
  }

  /** Closes the open item; `status` is the message's ("incomplete" when cut by max tokens). */
  #close(status: 'completed' | 'incomplete'): string {
    const open = this.#open;
    if (open === null) return '';
    this.#open = null;
    if (open.kind === 'message') {
      const out = this.#closePart(open);
      open.item.status = status;
      return out + this.#emit('response.output_item.done', { output_index: open.index, item: open.item });
    }
    open.item.status = 'completed';
    const where = { item_id: open.item.id, output_index: open.index };
    return this.#emit('response.function_call_arguments.done', { ...where, name: open.item.name, arguments: open.item.arguments })
      + this.#emit('response.output_item.done', { output_index: open.index, item: open.item });
  }
}
