// Amazon Bedrock Converse behind the OpenAI front: an OpenAI chat request becomes a SigV4-signed
// POST ${baseUrl}/model/{modelId}/converse (or /converse-stream), and the answer (Converse
// JSON, or the ConverseStream binary event stream) becomes an OpenAI chat.completion or a
// stream of chat.completion.chunk events. Every request field is translated, accepted as a
// no-op, or refused with a 400 that names it (the table is in src/llm/README.md).
//
// Signing: the model id is encoded once into the path (encodeURIComponent: ':' → %3A) and the
// very same URL is signed; the signed headers (host, x-amz-date, x-amz-security-token,
// content-type) are sent with exactly the signed body bytes. The backend adds unsigned headers
// only (content-length, x-request-id, …), which SigV4 allows.
import { randomUUID } from 'node:crypto';
import type { LlmModelSpec } from '../spec.js';
import { GatewayError, parseJson, UNTRUSTED_JSON } from '../../core/index.js';
import { ChunkTranslator } from './chunk-translator.js';
import { bad, textsOf, toolArguments, unsupportedBy, walkMessages } from './request-parts.js';
import { isObject, scrubUpstreamText } from '../openai-errors.js';
import type { Usage } from '../usage.js';
import { EventStreamDecoder, EventStreamError, interpretBedrockMessage, type BedrockStreamEvent } from './aws-eventstream.js';
import { signRequest } from './aws-sigv4.js';
import type { ChatProvider, ChatTranslation, TranslatedJson } from './provider.js';

type Json = Record<string, unknown>;

const unsupported = unsupportedBy('bedrock');

/** Top-level fields handled; anything else (not null) is refused with a 400 naming it. */
const HANDLED = new Set([
  'model', 'messages', 'max_tokens', 'max_completion_tokens', 'temperature', 'top_p', 'stop', 'stream',
  'stream_options', 'tools', 'tool_choice', 'parallel_tool_calls', 'n', 'logprobs', 'response_format',
  'frequency_penalty', 'presence_penalty', 'store', 'metadata',
]);

const IMAGE_FORMATS: Record<string, string> = { 'image/png': 'png', 'image/jpeg': 'jpeg', 'image/jpg': 'jpeg', 'image/gif': 'gif', 'image/webp': 'webp' };
const DATA_URL = /^data:([^;,]+);base64,(.*)$/s;

/** Translates an OpenAI chat request into a Converse request body (the model id goes in the path). */
export function toConverseRequest(body: Json): Json {
  for (const key of Object.keys(body)) {
    if (!HANDLED.has(key) && body[key] !== null && body[key] !== undefined) throw unsupported(key);
  }
  if (body.n !== undefined && body.n !== null && body.n !== 1) throw unsupported('n', 'other than 1 is not supported by the bedrock provider');
  if (body.logprobs === true) throw unsupported('logprobs');
  for (const f of ['frequency_penalty', 'presence_penalty'] as const) {
    if (body[f] !== undefined && body[f] !== null && body[f] !== 0) throw unsupported(f);
  }
  if (body.store === true) throw unsupported('store');
  if (isObject(body.metadata) && Object.keys(body.metadata).length > 0) throw unsupported('metadata');
  if (body.response_format !== undefined && body.response_format !== null) {
    if (!isObject(body.response_format) || body.response_format.type !== 'text') {
      throw unsupported('response_format', 'other than {"type":"text"} is not supported by the bedrock provider');
    }
  }
  if (body.parallel_tool_calls === false) throw unsupported('parallel_tool_calls', 'false is not supported by the bedrock provider (Converse cannot turn parallel tool calls off)');
  if (!Array.isArray(body.messages)) throw bad('"messages" must be an array.');

  const out: Json = {};
  const { system, messages, usesTools } = translateMessages(body.messages);
  out.messages = messages;
  if (system.length > 0) out.system = system;

  const inference: Json = {};
  const max = body.max_completion_tokens ?? body.max_tokens;
  if (max !== undefined && max !== null) {
    if (typeof max !== 'number' || !Number.isInteger(max) || max < 1) {
      throw bad(`"${body.max_completion_tokens !== undefined && body.max_completion_tokens !== null ? 'max_completion_tokens' : 'max_tokens'}" must be a positive integer.`);
    }
    inference.maxTokens = max;
  }
  if (typeof body.temperature === 'number') inference.temperature = body.temperature;
  if (typeof body.top_p === 'number') inference.topP = body.top_p;
  if (typeof body.stop === 'string') inference.stopSequences = [body.stop];
  else if (Array.isArray(body.stop)) inference.stopSequences = body.stop;
  if (Object.keys(inference).length > 0) out.inferenceConfig = inference;

  const tools = Array.isArray(body.tools) ? body.tools.map(translateTool) : [];
  const choice = body.tool_choice;
  if (choice === 'none') {
    // Converse has no "none": the tools are not sent, so the model cannot call them. Bedrock
    // requires toolConfig once the conversation holds tool blocks, so that case is a 400.
    if (usesTools) throw unsupported('tool_choice', '"none" is not supported by the bedrock provider when the conversation holds tool calls');
  } else if (tools.length > 0) {
    const toolConfig: Json = { tools };
    const c = translateToolChoice(choice);
    if (c !== null) toolConfig.toolChoice = c;
    out.toolConfig = toolConfig;
  } else if (choice !== undefined && choice !== null && choice !== 'auto') {
    throw unsupported('tool_choice', 'needs "tools" with the bedrock provider');
  }
  return out;
}

function translateMessages(list: unknown[]): { system: Json[]; messages: Json[]; usesTools: boolean } {
  const { system, turns, usesTools } = walkMessages<Json>(list, {
    provider: 'bedrock',
    system: textParts,
    user: userParts,
    assistantText: textParts,
    toolCall: toolUse,
    toolResult: (id, content, at) => ({ toolResult: { toolUseId: id, content: typeof content === 'string' ? [{ text: content }] : textParts(content, at) } }),
  });
  return { system, messages: turns.map((t) => ({ role: t.role, content: t.parts })), usesTools };
}

/** Content that may only hold text (system, assistant, tool). */
function textParts(content: unknown, at: string): Json[] {
  return textsOf(content, at, 'bedrock').map((text) => ({ text }));
}

function userParts(content: unknown, at: string): Json[] {
  if (typeof content === 'string') return [{ text: content }];
  if (!Array.isArray(content)) throw bad(`"${at}.content" must be a string or an array of parts.`);
  return content.map((p, j): Json => {
    const where = `${at}.content[${j}]`;
    if (isObject(p) && p.type === 'text' && typeof p.text === 'string') return { text: p.text };
    if (isObject(p) && p.type === 'image_url') return image(p.image_url, where);
    throw unsupported(`${where}.type`, `"${isObject(p) ? String(p.type) : typeof p}" is not supported by the bedrock provider`);
  });
}

function image(ref: unknown, at: string): Json {
  const url = isObject(ref) ? ref.url : undefined;
  if (typeof url !== 'string') throw bad(`"${at}.image_url.url" must be a string.`);
  const data = DATA_URL.exec(url);
  if (data === null) {
    throw unsupported(`${at}.image_url.url`, 'must be a data: URL with base64 data for the bedrock provider (Converse takes image bytes, not URLs)');
  }
  const format = IMAGE_FORMATS[data[1]!.toLowerCase()];
  if (format === undefined) throw unsupported(`${at}.image_url.url`, `with media type ${data[1]!} is not supported by the bedrock provider (png, jpeg, gif, webp)`);
  return { image: { format, source: { bytes: data[2] } } };
}

function toolUse(call: unknown, at: string): Json {
  if (!isObject(call) || call.type !== 'function' || !isObject(call.function)) throw unsupported(`${at}.type`);
  const fn = call.function;
  const input = toolArguments(fn, at);
  return { toolUse: { toolUseId: call.id, name: fn.name, input } };
}

function translateTool(t: unknown, i: number): Json {
  const at = `tools[${i}]`;
  if (!isObject(t) || t.type !== 'function' || !isObject(t.function)) throw unsupported(`${at}.type`, 'other than "function" is not supported by the bedrock provider');
  const fn = t.function;
  if (fn.strict === true) throw unsupported(`${at}.function.strict`);
  const spec: Json = { name: fn.name };
  if (typeof fn.description === 'string') spec.description = fn.description;
  spec.inputSchema = { json: isObject(fn.parameters) ? fn.parameters : { type: 'object', properties: {} } };
  return { toolSpec: spec };
}

function translateToolChoice(choice: unknown): Json | null {
  if (choice === undefined || choice === null) return null;
  if (choice === 'auto') return { auto: {} };
  if (choice === 'required') return { any: {} };
  if (isObject(choice) && choice.type === 'function' && isObject(choice.function) && typeof choice.function.name === 'string') {
    return { tool: { name: choice.function.name } };
  }
  throw unsupported('tool_choice', 'of this form is not supported by the bedrock provider');
}

/** Converse stopReason → OpenAI finish_reason. */
export function bedrockFinishReason(stop: unknown): string {
  switch (stop) {
    case 'max_tokens':
    case 'model_context_window_exceeded': return 'length';
    case 'tool_use': return 'tool_calls';
    case 'guardrail_intervened':
    case 'content_filtered': return 'content_filter';
    default: return 'stop'; // end_turn, stop_sequence
  }
}

interface BedrockUsage { input: number; cacheRead: number; cacheWrite: number; output: number }

function readUsage(into: BedrockUsage, u: unknown): void {
  if (!isObject(u)) return;
  const n = (v: unknown, old: number): number => (typeof v === 'number' && Number.isFinite(v) ? v : old);
  into.input = n(u.inputTokens, into.input);
  into.cacheRead = n(u.cacheReadInputTokens, into.cacheRead);
  into.cacheWrite = n(u.cacheWriteInputTokens, into.cacheWrite);
  into.output = n(u.outputTokens, into.output);
}

function openAIUsage(u: BedrockUsage): Json {
  const prompt = u.input + u.cacheRead + u.cacheWrite;
  return { prompt_tokens: prompt, completion_tokens: u.output, total_tokens: prompt + u.output, prompt_tokens_details: { cached_tokens: u.cacheRead } };
}

function usageOf(u: BedrockUsage): Usage {
  return { inputTokens: u.input + u.cacheRead + u.cacheWrite, outputTokens: u.output, cacheReadTokens: u.cacheRead, cacheWriteTokens: u.cacheWrite };
}

function completionId(): string {
  return `chatcmpl-${randomUUID().replace(/-/g, '')}`;
}

/** Translates a whole Converse answer into an OpenAI chat.completion. */
export function fromConverseJson(raw: string, clientModel: string): TranslatedJson {
  let msg: unknown;
  try {
    msg = parseJson(raw, UNTRUSTED_JSON);
  } catch (err) {
    throw new GatewayError('AE_UPSTREAM_PROTOCOL', { detail: `bedrock answer: ${(err as Error).message}` });
  }
  const content = isObject(msg) && isObject(msg.output) && isObject(msg.output.message) ? msg.output.message.content : undefined;
  if (!isObject(msg) || !Array.isArray(content)) throw new GatewayError('AE_UPSTREAM_PROTOCOL', { detail: 'bedrock answer has no output.message.content' });
  let text: string | null = null;
  const toolCalls: Json[] = [];
  for (const b of content) {
    if (!isObject(b)) continue;
    if (typeof b.text === 'string') text = (text ?? '') + b.text;
    else if (isObject(b.toolUse)) {
      const t = b.toolUse;
      toolCalls.push({ id: t.toolUseId, type: 'function', function: { name: t.name, arguments: JSON.stringify(t.input ?? {}) } });
    }
    // reasoningContent and other blocks have no OpenAI chat form.
  }
  const message: Json = { role: 'assistant', content: text, refusal: null };
  if (toolCalls.length > 0) message.tool_calls = toolCalls;
  const u: BedrockUsage = { input: 0, cacheRead: 0, cacheWrite: 0, output: 0 };
  readUsage(u, msg.usage);
  const body = JSON.stringify({
    id: completionId(),
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model: clientModel,
    choices: [{ index: 0, message, logprobs: null, finish_reason: bedrockFinishReason(msg.stopReason) }],
    usage: openAIUsage(u),
  });
  return { body, usage: isObject(msg.usage) ? usageOf(u) : null };
}

/**
 * ConverseStream event-stream frames → OpenAI chat.completion.chunk events. Frames are decoded
 * at any chunk boundary. messageStop gives the finish chunk; metadata (which follows it) the
 * usage chunk when asked and `[DONE]`. A stream that ends after messageStop without metadata
 * still finished its answer: `end()` gives `[DONE]`, usage unknown (no usage chunk). An
 * exception frame becomes one OpenAI error event; a corrupt frame throws (the backend ends
 * the stream with one error event).
 */
export class BedrockStreamTranslator extends ChunkTranslator {
  readonly #decoder: EventStreamDecoder;
  #stopped = false;
  readonly #usage: BedrockUsage = { input: 0, cacheRead: 0, cacheWrite: 0, output: 0 };
  #sawUsage = false;
  /** Converse content block index → OpenAI tool call index. */
  readonly #tools = new Map<number, number>();

  constructor(model: LlmModelSpec, includeUsage: boolean) {
    super(model, includeUsage, completionId());
    // One frame is one event: the same cap as an SSE event.
    this.#decoder = new EventStreamDecoder(model.limits.maxEventBytes);
  }

  get usage(): Usage | null { return this.#sawUsage ? usageOf(this.#usage) : null; }

  end(): string {
    if (this.finished || !this.#stopped) return '';
    this.finished = true;
    return 'data: [DONE]\n\n';
  }

  push(chunk: Buffer): string {
    if (this.finished) return '';
    let out = '';
    let frames;
    try {
      frames = this.#decoder.push(chunk);
    } catch (err) {
      throw protocolError(err);
    }
    for (const frame of frames) {
      if (this.finished) break;
      let ev: BedrockStreamEvent;
      try {
        ev = interpretBedrockMessage(frame);
      } catch (err) {
        throw protocolError(err);
      }
      out += this.#event(ev);
    }
    return out;
  }

  #event(ev: BedrockStreamEvent): string {
    if (ev.kind !== 'event') {
      this.finished = true;
      this.failed = true;
      const message = scrubUpstreamText(ev.message, this.model, 2000) || 'The upstream provider reported an error in the stream.';
      return `data: ${JSON.stringify({ error: { message, type: scrubUpstreamText(ev.type, this.model), param: null, code: 'AE_UPSTREAM_ERROR' } })}\n\n`;
    }
    const e = ev.body;
    const index = typeof e.contentBlockIndex === 'number' ? e.contentBlockIndex : -1;
    switch (ev.type) {
      case 'messageStart':
        return this.start();
      case 'contentBlockStart': {
        const t = isObject(e.start) ? e.start.toolUse : undefined;
        if (!isObject(t)) return '';
        const n = this.#tools.size;
        this.#tools.set(index, n);
        return this.start() + this.chunk({ tool_calls: [{ index: n, id: t.toolUseId, type: 'function', function: { name: t.name, arguments: '' } }] });
      }
      case 'contentBlockDelta': {
        const d = e.delta;
        if (!isObject(d)) return '';
        if (typeof d.text === 'string') return d.text === '' ? this.start() : this.start() + this.chunk({ content: d.text });
        if (isObject(d.toolUse) && typeof d.toolUse.input === 'string' && d.toolUse.input !== '') {
          const n = this.#tools.get(index);
          if (n === undefined) return '';
          return this.start() + this.chunk({ tool_calls: [{ index: n, function: { arguments: d.toolUse.input } }] });
        }
        return ''; // reasoningContent and citation deltas have no OpenAI chat form
      }
      case 'messageStop':
        if (this.#stopped) return '';
        this.#stopped = true;
        return this.start() + this.chunk({}, bedrockFinishReason(e.stopReason));
      case 'metadata': {
        if (isObject(e.usage)) {
          this.#sawUsage = true;
          readUsage(this.#usage, e.usage);
        }
        if (!this.#stopped) return '';
        return this.done(openAIUsage(this.#usage));
      }
      default:
        return ''; // contentBlockStop, and event types added later
    }
  }
}

function protocolError(err: unknown): GatewayError {
  const detail = err instanceof EventStreamError ? err.message : 'undecodable frame';
  return new GatewayError('AE_UPSTREAM_PROTOCOL', { cause: err, detail: `bedrock event stream: ${detail}` });
}

const DEFAULT_TYPES: Record<number, string> = { 400: 'invalid_request_error', 404: 'invalid_request_error', 409: 'invalid_request_error', 413: 'invalid_request_error', 422: 'invalid_request_error', 429: 'rate_limit_error' };

/**
 * A Bedrock error answer (`{"message": …}`, the type in `x-amzn-errortype` as
 * "ThrottlingException:http://…") rebuilt in OpenAI shape, message scrubbed.
 */
export function bedrockErrorBody(status: number, raw: string, headers: Readonly<Record<string, string | string[] | undefined>>, model: LlmModelSpec): string {
  let parsed: unknown = null;
  try { parsed = parseJson(raw, UNTRUSTED_JSON); } catch { /* an HTML page from a proxy: the status alone speaks */ }
  const obj = isObject(parsed) ? parsed : {};
  const rawMessage = typeof obj.message === 'string' ? obj.message : typeof obj.Message === 'string' ? obj.Message : null;
  const header = headers['x-amzn-errortype'];
  const rawType = typeof header === 'string' ? header : typeof obj.__type === 'string' ? obj.__type : null;
  const type = rawType?.split(':')[0]?.split('#').at(-1) ?? '';
  return JSON.stringify({
    error: {
      message: rawMessage === null ? `The upstream provider answered ${status}.` : scrubUpstreamText(rawMessage, model, 2000),
      type: type !== '' ? scrubUpstreamText(type, model) : DEFAULT_TYPES[status] ?? 'api_error',
      param: null,
      code: null,
    },
  });
}

/** Client headers that would change how AWS reads the request, beyond the common ones. */
const DROP = [
  'accept', 'x-amz-date', 'x-amz-security-token', 'x-amz-content-sha256', 'x-amz-target', 'x-amz-user-agent',
  'x-amzn-bedrock-trace', 'x-amzn-bedrock-guardrailidentifier', 'x-amzn-bedrock-guardrailversion', 'x-amzn-bedrock-performanceconfig-latency',
];

export const bedrockProvider: ChatProvider = {
  chat(body, model, includeUsage): ChatTranslation {
    const aws = model.aws;
    if (aws === undefined) throw new GatewayError('AE_INTERNAL', { detail: `model ${model.name} has no AWS settings` });
    const stream = body.stream === true;
    const request = JSON.stringify(toConverseRequest(body));
    const path = `${model.basePath}/model/${encodeURIComponent(model.upstreamModel)}/${stream ? 'converse-stream' : 'converse'}`;
    const credentials = {
      accessKeyId: aws.accessKeyId,
      secretAccessKey: aws.secretAccessKey.reveal(),
      ...(aws.sessionToken !== null ? { sessionToken: aws.sessionToken.reveal() } : {}),
    };
    const signed = signRequest({
      method: 'POST',
      url: `${model.origin}${path}`,
      headers: { 'content-type': 'application/json' },
      body: request,
      region: aws.region,
      service: 'bedrock',
      credentials,
    });
    return {
      call: { path, headers: signed.headers, dropHeaders: DROP, body: request },
      json: (raw) => fromConverseJson(raw, model.name),
      stream: () => new BedrockStreamTranslator(model, includeUsage),
      errorBody: (status, raw, headers) => bedrockErrorBody(status, raw, headers, model),
    };
  },
};
