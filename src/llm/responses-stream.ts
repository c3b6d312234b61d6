// The Responses front's streams: OpenAI chat chunks → Responses stream events (a stage of
// the relay, chat-leg.ts), and the terminal error event of a Responses stream.
import { ERRORS, GatewayError } from '../core/index.js';
import { ChatEventTranslator } from './chat-events.js';
import { LLM_LIMIT_DEFAULTS } from './spec.js';
import { isObject } from './openai-errors.js';
import type { Usage } from './usage.js';
import { newId, outcome, shell, textPart, usageFrom, ZERO_USAGE, type BothUsages, type ResponseIds } from './responses-answer.js';

type Json = Record<string, unknown>;

const set = (v: unknown): boolean => v !== undefined && v !== null;

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
export class ChatToResponsesStream extends ChatEventTranslator {
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

  constructor(modelName: string, request: Json, ids: ResponseIds = {}, maxEventBytes = LLM_LIMIT_DEFAULTS.maxEventBytes) {
    super(maxEventBytes);
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

  /** Ends the response (on `[DONE]`, or when the upstream closed after its finish reason). */
  override end(): string {
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

  protected override translateChunk(obj: Json): string {
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
