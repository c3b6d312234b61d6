// The OpenAI Responses front (P/responses) over providers reached through OpenAI chat, the
// request side: a Responses request → a chat request. The gateway is stateless, so
// everything that needs OpenAI's storage (previous_response_id, conversation, stored
// prompts, file ids) is refused. Every field is translated, accepted, or refused with a 400
// naming it; see README.md ("Responses front") for the table. The answer side is
// responses-answer.ts (a whole chat.completion → a `response` object) and
// responses-stream.ts (chat chunks → Responses stream events).
import { GatewayError } from '../core/index.js';
import { type LlmModelSpec } from './spec.js';
import { isObject } from './openai-errors.js';

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
