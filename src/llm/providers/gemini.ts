// Google AI Gemini behind the OpenAI front: an OpenAI chat request becomes a
// POST ${baseUrl}/v1beta/models/{model}:generateContent (or :streamGenerateContent?alt=sse),
// authenticated with the x-goog-api-key header (never a ?key= query, which would land in
// access logs). The answer (a GenerateContentResponse, or SSE events that each carry a whole
// GenerateContentResponse with the next parts) becomes an OpenAI chat.completion or a stream
// of chat.completion.chunk events. Every request field is translated, accepted as a no-op,
// or refused with a 400 naming it (the table is in src/llm/README.md).
import type { LlmModelSpec } from '../spec.js';
import { GatewayError, parseJson, sseData, UNTRUSTED_JSON } from '../../core/index.js';
import { SseChunkTranslator } from './chunk-translator.js';
import { bad, textsOf, toolArguments, unsupportedBy, walkMessages } from './request-parts.js';
import { CLIENT_TEXT_JSON } from '../body.js';
import { isObject, upstreamErrorBody } from '../openai-errors.js';
import type { Usage } from '../usage.js';
import type { ChatProvider, ChatTranslation, TranslatedJson } from './provider.js';


type Json = Record<string, unknown>;

const unsupported = unsupportedBy('gemini');

/** Top-level fields handled below; any other (non-null) field is refused with a 400. */
const HANDLED = new Set([
  'model', 'messages', 'max_tokens', 'max_completion_tokens', 'temperature', 'top_p', 'stop', 'stream',
  'stream_options', 'tools', 'tool_choice', 'parallel_tool_calls', 'n', 'logprobs', 'response_format',
  'frequency_penalty', 'presence_penalty', 'seed', 'store', 'metadata',
]);

const set = (v: unknown): boolean => v !== undefined && v !== null;

/** Translates an OpenAI chat request into a Gemini GenerateContentRequest body. */
export function toGeminiRequest(body: Json): Json {
  for (const key of Object.keys(body)) {
    if (!HANDLED.has(key) && set(body[key])) throw unsupported(key);
  }
  if (set(body.n) && body.n !== 1) throw unsupported('n', 'other than 1 is not supported by the gemini provider');
  if (body.logprobs === true) throw unsupported('logprobs');
  if (body.store === true) throw unsupported('store');
  if (isObject(body.metadata) && Object.keys(body.metadata).length > 0) throw unsupported('metadata');
  if (body.parallel_tool_calls === false) throw unsupported('parallel_tool_calls', 'false is not supported by the gemini provider (it may always call several functions)');
  if (!Array.isArray(body.messages)) throw bad('"messages" must be an array.');

  const out: Json = {};
  const { system, contents } = translateMessages(body.messages);
  out.contents = contents;
  if (system.length > 0) out.systemInstruction = { parts: system };

  if (Array.isArray(body.tools) && body.tools.length > 0) out.tools = [{ functionDeclarations: body.tools.map(translateTool) }];
  const choice = translateToolChoice(body.tool_choice);
  if (choice !== null) out.toolConfig = { functionCallingConfig: choice };

  const gen: Json = {};
  const max = body.max_completion_tokens ?? body.max_tokens;
  if (set(max)) {
    if (typeof max !== 'number' || !Number.isInteger(max) || max < 1) {
      throw bad(`"${set(body.max_completion_tokens) ? 'max_completion_tokens' : 'max_tokens'}" must be a positive integer.`);
    }
    gen.maxOutputTokens = max;
  }
  if (typeof body.temperature === 'number') gen.temperature = body.temperature;
  if (typeof body.top_p === 'number') gen.topP = body.top_p;
  if (typeof body.presence_penalty === 'number' && body.presence_penalty !== 0) gen.presencePenalty = body.presence_penalty;
  if (typeof body.frequency_penalty === 'number' && body.frequency_penalty !== 0) gen.frequencyPenalty = body.frequency_penalty;
  if (typeof body.seed === 'number') gen.seed = body.seed;
  if (typeof body.stop === 'string') gen.stopSequences = [body.stop];
  else if (Array.isArray(body.stop) && body.stop.length > 0) gen.stopSequences = body.stop;
  translateResponseFormat(body.response_format, gen);
  if (Object.keys(gen).length > 0) out.generationConfig = gen;
  return out;
}

function translateResponseFormat(rf: unknown, gen: Json): void {
  if (!set(rf)) return;
  if (!isObject(rf)) throw unsupported('response_format', 'must be an object');
  if (rf.type === 'text') return;
  if (rf.type === 'json_object') {
    gen.responseMimeType = 'application/json';
    return;
  }
  if (rf.type === 'json_schema' && isObject(rf.json_schema) && isObject(rf.json_schema.schema)) {
    gen.responseMimeType = 'application/json';
    // responseJsonSchema takes JSON Schema as is (responseSchema only an OpenAPI subset).
    gen.responseJsonSchema = rf.json_schema.schema;
    return;
  }
  throw unsupported('response_format', 'of this form is not supported by the gemini provider (text, json_object and json_schema with a schema are)');
}

function translateMessages(list: unknown[]): { system: Json[]; contents: Json[] } {
  /** tool_call id → function name, from the assistant turns seen so far (the latest wins). */
  const callNames = new Map<string, string>();
  const { system, turns } = walkMessages<Json>(list, {
    provider: 'gemini',
    // Gemini refuses a turn without parts.
    dropEmptyTurns: true,
    system: textParts,
    user: userParts,
    assistantText: textParts,
    toolCall: (c, at) => {
      const { id, part } = functionCall(c, at);
      callNames.set(id, String((part.functionCall as Json).name));
      return part;
    },
    toolResult: (id, content, at) => {
      const name = callNames.get(id);
      if (name === undefined) throw bad(`"${at}.tool_call_id" ("${id.slice(0, 128)}") does not match a tool call of an earlier assistant message; the gemini provider needs it to name the function.`);
      const text = typeof content === 'string' ? content : textParts(content, at).map((p) => String(p.text)).join('');
      return { functionResponse: { name, response: functionResponse(text) } };
    },
  });
  return { system, contents: turns.map((t) => ({ role: t.role === 'assistant' ? 'model' : 'user', parts: t.parts })) };
}

/** A tool result as a functionResponse.response (a JSON object): a JSON object as is, anything else as {output}. */
function functionResponse(text: string): Json {
  try {
    const v: unknown = parseJson(text, CLIENT_TEXT_JSON);
    if (isObject(v)) return v;
  } catch {
    // Plain text (or JSON the gateway will not turn into a value: too deep, a "__proto__" key): sent as text.
  }
  return { output: text };
}

/** Content that may only hold text (system, assistant, tool). */
function textParts(content: unknown, at: string): Json[] {
  return textsOf(content, at, 'gemini').map((text) => ({ text }));
}

function userParts(content: unknown, at: string): Json[] {
  if (typeof content === 'string') return [{ text: content }];
  if (!Array.isArray(content)) throw bad(`"${at}.content" must be a string or an array of parts.`);
  return content.map((p, j): Json => {
    const where = `${at}.content[${j}]`;
    if (isObject(p) && p.type === 'text' && typeof p.text === 'string') return { text: p.text };
    if (isObject(p) && p.type === 'image_url') return image(p.image_url, where);
    throw unsupported(`${where}.type`, `"${isObject(p) ? String(p.type) : typeof p}" is not supported by the gemini provider`);
  });
}

const DATA_URL = /^data:([^;,]+);base64,(.*)$/s;

function image(ref: unknown, at: string): Json {
  const url = isObject(ref) ? ref.url : undefined;
  if (typeof url !== 'string') throw bad(`"${at}.image_url.url" must be a string.`);
  const data = DATA_URL.exec(url);
  if (data !== null) return { inlineData: { mimeType: data[1], data: data[2] } };
  // fileData only takes URIs of files uploaded to the Gemini Files API, not arbitrary web URLs.
  throw unsupported(`${at}.image_url.url`, 'must be a base64 data: URL for the gemini provider (it does not fetch http(s) image URLs)');
}

function functionCall(call: unknown, at: string): { id: string; part: Json } {
  if (!isObject(call) || call.type !== 'function' || !isObject(call.function)) throw unsupported(`${at}.type`);
  const fn = call.function;
  if (typeof fn.name !== 'string') throw bad(`"${at}.function.name" must be a string.`);
  const args = toolArguments(fn, at);
  const id = typeof call.id === 'string' ? call.id : '';
  const part: Json = { functionCall: { name: fn.name, args } };
  // A thought signature given with the call (see toolCall) goes back with it, as Gemini asks.
  const mark = id.indexOf(SIGNATURE_MARK);
  if (mark !== -1 && mark + SIGNATURE_MARK.length < id.length) part.thoughtSignature = id.slice(mark + SIGNATURE_MARK.length);
  return { id, part };
}

function translateTool(t: unknown, i: number): Json {
  const at = `tools[${i}]`;
  if (!isObject(t) || t.type !== 'function' || !isObject(t.function)) throw unsupported(`${at}.type`, 'other than "function" is not supported by the gemini provider');
  const fn = t.function;
  if (fn.strict === true) throw unsupported(`${at}.function.strict`);
  if (typeof fn.name !== 'string') throw bad(`"${at}.function.name" must be a string.`);
  const out: Json = { name: fn.name };
  if (typeof fn.description === 'string') out.description = fn.description;
  // parametersJsonSchema takes JSON Schema as is (parameters only an OpenAPI subset, which
  // refuses e.g. additionalProperties that the OpenAI SDK's helpers emit).
  if (isObject(fn.parameters)) out.parametersJsonSchema = fn.parameters;
  return out;
}

function translateToolChoice(choice: unknown): Json | null {
  if (!set(choice)) return null;
  if (choice === 'auto') return { mode: 'AUTO' };
  if (choice === 'none') return { mode: 'NONE' };
  if (choice === 'required') return { mode: 'ANY' };
  if (isObject(choice) && choice.type === 'function' && isObject(choice.function) && typeof choice.function.name === 'string') {
    return { mode: 'ANY', allowedFunctionNames: [choice.function.name] };
  }
  throw unsupported('tool_choice', 'of this form is not supported by the gemini provider');
}

/** Gemini finishReason → OpenAI finish_reason (tool_calls when the answer called functions). */
export function finishReason(reason: unknown, calledTools: boolean): string {
  switch (reason) {
    case 'MAX_TOKENS': return 'length';
    case 'SAFETY': case 'RECITATION': case 'BLOCKLIST': case 'PROHIBITED_CONTENT': case 'SPII': case 'IMAGE_SAFETY':
      return 'content_filter';
    default: return calledTools ? 'tool_calls' : 'stop'; // STOP, OTHER, LANGUAGE, MALFORMED_FUNCTION_CALL, …
  }
}

interface GeminiUsage { prompt: number; cached: number; candidates: number; thoughts: number; toolPrompt: number }

function readUsage(into: GeminiUsage, u: unknown): boolean {
  if (!isObject(u)) return false;
  const n = (v: unknown, old: number): number => (typeof v === 'number' && Number.isFinite(v) ? v : old);
  into.prompt = n(u.promptTokenCount, into.prompt);
  into.cached = n(u.cachedContentTokenCount, into.cached);
  into.candidates = n(u.candidatesTokenCount, into.candidates);
  into.thoughts = n(u.thoughtsTokenCount, into.thoughts);
  into.toolPrompt = n(u.toolUsePromptTokenCount, into.toolPrompt);
  return true;
}

function openAIUsage(u: GeminiUsage): Json {
  const prompt = u.prompt + u.toolPrompt;
  const completion = u.candidates + u.thoughts;
  const out: Json = {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: prompt + completion,
    prompt_tokens_details: { cached_tokens: u.cached },
  };
  if (u.thoughts > 0) out.completion_tokens_details = { reasoning_tokens: u.thoughts };
  return out;
}

function usageOf(u: GeminiUsage): Usage {
  // cachedContentTokenCount is part of promptTokenCount; Gemini reports no cache writes
  // (explicit caches are created, and billed for storage, outside the call).
  return { inputTokens: u.prompt + u.toolPrompt, outputTokens: u.candidates + u.thoughts, cacheReadTokens: u.cached, cacheWriteTokens: null };
}

const newUsage = (): GeminiUsage => ({ prompt: 0, cached: 0, candidates: 0, thoughts: 0, toolPrompt: 0 });

/** The parts of the first candidate that have an OpenAI form: text (not thoughts) and function calls. */
function* answerParts(res: Json): Generator<{ text: string } | { call: Json; signature: string | null }> {
  const c: unknown = Array.isArray(res.candidates) ? res.candidates[0] : undefined;
  const parts: unknown[] = isObject(c) && isObject(c.content) && Array.isArray(c.content.parts) ? c.content.parts : [];
  for (const p of parts) {
    if (!isObject(p) || p.thought === true) continue;
    if (typeof p.text === 'string') yield { text: p.text };
    else if (isObject(p.functionCall)) yield { call: p.functionCall, signature: typeof p.thoughtSignature === 'string' && p.thoughtSignature !== '' ? p.thoughtSignature : null };
    // executableCode, codeExecutionResult, inlineData answers have no OpenAI chat form.
  }
}

/** The first candidate's finishReason, or SAFETY when the prompt itself was blocked (no candidates). */
function reasonOf(res: Json): unknown {
  const c: unknown = Array.isArray(res.candidates) ? res.candidates[0] : undefined;
  if (isObject(c) && set(c.finishReason)) return c.finishReason;
  if (isObject(res.promptFeedback) && set(res.promptFeedback.blockReason)) return 'SAFETY';
  return null;
}

/**
 * Separates a tool call id from the thought signature Gemini gave with the call: thinking
 * models (Gemini 3) refuse a later turn whose function calls lack their signature, and the
 * tool call id is the one thing an OpenAI client sends back unchanged.
 */
export const SIGNATURE_MARK = '__thought__';

function toolCall(call: Json, n: number, signature: string | null): Json {
  // Gemini's ids are optional: call_<n> numbers the calls of one answer.
  let id = typeof call.id === 'string' && call.id !== '' ? call.id : `call_${n}`;
  if (signature !== null) id += SIGNATURE_MARK + signature;
  return { id, type: 'function', function: { name: call.name, arguments: JSON.stringify(call.args ?? {}) } };
}

/** Translates a whole GenerateContentResponse into an OpenAI chat.completion. */
export function fromGeminiJson(raw: string, clientModel: string): TranslatedJson {
  let res: unknown;
  try {
    res = parseJson(raw, UNTRUSTED_JSON);
  } catch (err) {
    throw new GatewayError('AE_UPSTREAM_PROTOCOL', { detail: `gemini answer: ${(err as Error).message}` });
  }
  if (!isObject(res)) throw new GatewayError('AE_UPSTREAM_PROTOCOL', { detail: 'gemini answer is not an object' });
  let text: string | null = null;
  const toolCalls: Json[] = [];
  for (const p of answerParts(res)) {
    if ('text' in p) text = (text ?? '') + p.text;
    else toolCalls.push(toolCall(p.call, toolCalls.length, p.signature));
  }
  const message: Json = { role: 'assistant', content: text, refusal: null };
  if (toolCalls.length > 0) message.tool_calls = toolCalls;
  const u = newUsage();
  readUsage(u, res.usageMetadata);
  const body = JSON.stringify({
    id: typeof res.responseId === 'string' ? res.responseId : 'gemini',
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model: clientModel,
    choices: [{ index: 0, message, logprobs: null, finish_reason: finishReason(reasonOf(res), toolCalls.length > 0) }],
    usage: openAIUsage(u),
  });
  return { body, usage: usageOf(u) };
}

/**
 * Gemini `alt=sse` stream → OpenAI chat.completion.chunk events. Each `data:` holds a whole
 * GenerateContentResponse with the next parts; the one with a finishReason is the last, and
 * carries the final usage: its parts are sent, then the finish chunk, the usage chunk (only
 * with include_usage) and `[DONE]`. A `data: {"error": …}` becomes one OpenAI error event.
 * Either is terminal: nothing is produced after it, and a stream that ends before either
 * gets an AE_UPSTREAM_STREAM_ABORTED event from the backend.
 */
export class GeminiStreamTranslator extends SseChunkTranslator {
  #calls = 0;
  readonly #usage = newUsage();
  #sawUsage = false;

  constructor(model: LlmModelSpec, includeUsage: boolean) {
    super(model, includeUsage, 'gemini', 'gemini stream');
  }

  get usage(): Usage | null { return this.#sawUsage ? usageOf(this.#usage) : null; }

  protected event(ev: string): string {
    const data = sseData(ev);
    if (data === '') return '';
    let res: unknown;
    try {
      res = parseJson(data, UNTRUSTED_JSON);
    } catch (err) {
      throw new GatewayError('AE_UPSTREAM_PROTOCOL', { detail: `gemini stream event: ${(err as Error).message}` });
    }
    if (!isObject(res)) return '';
    if (isObject(res.error)) return this.#error(res.error);
    if (this.id === 'gemini' && typeof res.responseId === 'string') this.id = res.responseId;
    if (readUsage(this.#usage, res.usageMetadata)) this.#sawUsage = true;
    let out = this.start();
    for (const p of answerParts(res)) {
      if ('text' in p) {
        if (p.text !== '') out += this.chunk({ content: p.text });
      } else {
        const n = this.#calls++;
        out += this.chunk({ tool_calls: [{ index: n, ...toolCall(p.call, n, p.signature) }] });
      }
    }
    const reason = reasonOf(res);
    if (reason !== null) {
      out += this.chunk({}, finishReason(reason, this.#calls > 0));
      out += this.done(openAIUsage(this.#usage));
    }
    return out;
  }

  #error(err: Json): string {
    return this.upstreamError(err.message, err.status);
  }
}

/** The model's path segment: `gemini-2.0-flash` or `models/gemini-2.0-flash` → `models/gemini-2.0-flash`. */
export function geminiModelPath(upstreamModel: string): string {
  const name = upstreamModel.startsWith('models/') ? upstreamModel.slice('models/'.length) : upstreamModel;
  return `models/${encodeURIComponent(name)}`;
}

/** The `details` of a Google API error answer (`{"error": {code, message, status, details}}`); [] when it has none. */
function errorDetails(raw: string): Json[] {
  // Cheap test first: most error bodies carry no details worth parsing.
  if (!raw.includes('type.googleapis.com/google.rpc.')) return [];
  let parsed: unknown;
  try {
    parsed = parseJson(raw, UNTRUSTED_JSON);
  } catch {
    return [];
  }
  // Some Google front ends wrap the error in a one-element array.
  const top: unknown = Array.isArray(parsed) ? (parsed as unknown[])[0] : parsed;
  const err = isObject(top) ? top.error : undefined;
  return isObject(err) && Array.isArray(err.details) ? err.details.filter(isObject) : [];
}

/** A protobuf Duration in JSON ("30s", "1.5s", "0.000001s") in ms; null when it is not one. */
const DURATION = /^(\d{1,10})(?:\.(\d{1,9}))?s$/;

/**
 * The wait a Google error answer asks for in google.rpc.RetryInfo (`retryDelay`), in ms;
 * null when it has none. Gemini's 429s say it there, not in a retry-after header.
 */
export function googleRetryDelayMs(raw: string): number | null {
  for (const d of errorDetails(raw)) {
    if (d['@type'] !== 'type.googleapis.com/google.rpc.RetryInfo' || typeof d.retryDelay !== 'string') continue;
    const m = DURATION.exec(d.retryDelay.trim());
    if (m === null) return null;
    return Math.ceil(Number(`${m[1]}.${m[2] ?? '0'}`) * 1000);
  }
  return null;
}

/** True when a Google error answer says the API key itself is bad (google.rpc.ErrorInfo reason API_KEY_INVALID). */
export function googleKeyRejected(raw: string): boolean {
  return errorDetails(raw).some((d) => d['@type'] === 'type.googleapis.com/google.rpc.ErrorInfo' && d.reason === 'API_KEY_INVALID');
}

/**
 * A Gemini error answer in OpenAI shape. A bad API key comes back as a 400 (INVALID_ARGUMENT,
 * reason API_KEY_INVALID): that is the backend's key, not the caller's request, so it is a
 * 502 like a 401/403, and Google's message (which may quote part of the key) is not passed on.
 */
function geminiErrorBody(status: number, raw: string, model: LlmModelSpec): string {
  if (googleKeyRejected(raw)) {
    throw new GatewayError('AE_UPSTREAM_ERROR', { detail: `gemini refused the API key of model ${model.name} (${status} API_KEY_INVALID)` });
  }
  return upstreamErrorBody(status, raw, model);
}

export const geminiProvider: ChatProvider = {
  retryAfterFromError: googleRetryDelayMs,
  chat(body, model, includeUsage): ChatTranslation {
    const request = toGeminiRequest(body);
    const headers: Record<string, string> = {};
    if (model.apiKey !== null) headers['x-goog-api-key'] = model.apiKey.reveal();
    const method = body.stream === true ? 'streamGenerateContent?alt=sse' : 'generateContent';
    return {
      call: {
        path: `${model.basePath}/v1beta/${geminiModelPath(model.upstreamModel)}:${method}`,
        headers,
        // The client's own Google credentials never go upstream.
        dropHeaders: ['x-goog-api-key', 'x-goog-user-project', 'x-goog-api-client'],
        body: JSON.stringify(request),
      },
      json: (raw) => fromGeminiJson(raw, model.name),
      stream: () => new GeminiStreamTranslator(model, includeUsage),
      errorBody: (status, raw) => geminiErrorBody(status, raw, model),
    };
  },
};
