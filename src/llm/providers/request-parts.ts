// What every translated provider does the same way when it reads an OpenAI chat request:
// the walk over its messages (walkMessages), the 400 for a field it cannot express (named,
// never dropped), the text of a message that may only hold text, and a tool call's JSON
// arguments as a value. Each provider gives its own block shapes.
import { GatewayError } from '../../core/index.js';
import { parseClientJsonText } from '../body.js';
import { isObject } from '../openai-errors.js';

export function bad(message: string): GatewayError {
  return new GatewayError('AE_BAD_REQUEST', { message });
}

/** `unsupported(field, why?)` for one provider: a 400 that names the field. */
export function unsupportedBy(provider: string): (field: string, why?: string) => GatewayError {
  return (field, why = `is not supported by the ${provider} provider`) => bad(`"${field}" ${why}.`);
}

/**
 * The texts of content that may only hold text (system, assistant, tool messages): a
 * string (none when empty) or text parts; refusal parts are skipped; anything else is a
 * 400 naming the part.
 */
export function textsOf(content: unknown, at: string, provider: string): string[] {
  if (typeof content === 'string') return content === '' ? [] : [content];
  if (!Array.isArray(content)) throw bad(`"${at}.content" must be a string or an array of parts.`);
  const out: string[] = [];
  content.forEach((p, j) => {
    if (isObject(p) && p.type === 'text' && typeof p.text === 'string') out.push(p.text);
    else if (isObject(p) && p.type === 'refusal') return;
    else throw bad(`"${at}.content[${j}].type" "${isObject(p) ? String(p.type) : typeof p}" is not supported here by the ${provider} provider.`);
  });
  return out;
}

/**
 * An assistant tool call's `arguments` (a JSON text) as the object a provider sends (`{}`
 * when empty). Parsed like a request body: bounded depth, no "__proto__" key; else a 400.
 */
export function toolArguments(fn: Record<string, unknown>, at: string): Record<string, unknown> {
  const field = `"${at}.function.arguments"`;
  if (typeof fn.arguments !== 'string' || fn.arguments.trim() === '') return {};
  const input = parseClientJsonText(fn.arguments, field);
  if (!isObject(input)) throw bad(`${field} must be a JSON object.`);
  return input;
}

/** One turn of a provider's conversation: consecutive messages of one side, merged. */
export interface Turn<P> {
  readonly role: 'user' | 'assistant';
  readonly parts: P[];
}

/** What a provider makes of each kind of OpenAI chat message, in its own block shape `P`. */
export interface MessageWalk<P> {
  readonly provider: string;
  /** Turns without parts are dropped (gemini refuses them). */
  readonly dropEmptyTurns?: boolean;
  /** The blocks of a system or developer message. */
  system(content: unknown, at: string): P[];
  user(content: unknown, at: string): P[];
  /** The text blocks of an assistant message with content. */
  assistantText(content: unknown, at: string): P[];
  toolCall(call: unknown, at: string): P;
  /** A tool message (its tool_call_id checked to be a string). */
  toolResult(toolCallId: string, content: unknown, at: string): P;
}

/**
 * The walk over an OpenAI chat request's messages every translated provider shares: system
 * and developer messages apart, user and assistant turns alternating (consecutive ones, as
 * several tool results, merge into one turn: the providers require it), tool results in
 * the user's turn, and a 400 naming the field for what cannot be expressed.
 */
export function walkMessages<P>(list: unknown[], walk: MessageWalk<P>): { system: P[]; turns: Turn<P>[]; usesTools: boolean } {
  const unsupported = unsupportedBy(walk.provider);
  const system: P[] = [];
  const turns: Turn<P>[] = [];
  let usesTools = false;
  const push = (role: 'user' | 'assistant', parts: P[]): void => {
    if (parts.length === 0 && walk.dropEmptyTurns === true) return;
    const last = turns.at(-1);
    if (last !== undefined && last.role === role) last.parts.push(...parts);
    else turns.push({ role, parts });
  };
  list.forEach((m, i) => {
    const at = `messages[${i}]`;
    if (!isObject(m)) throw bad(`"${at}" must be an object.`);
    switch (m.role) {
      case 'system':
      case 'developer':
        system.push(...walk.system(m.content, at));
        break;
      case 'user':
        push('user', walk.user(m.content, at));
        break;
      case 'assistant': {
        const parts = m.content === null || m.content === undefined ? [] : walk.assistantText(m.content, at);
        if (Array.isArray(m.tool_calls)) {
          m.tool_calls.forEach((c, j) => parts.push(walk.toolCall(c, `${at}.tool_calls[${j}]`)));
          if (m.tool_calls.length > 0) usesTools = true;
        }
        if (m.function_call !== undefined && m.function_call !== null) throw unsupported(`${at}.function_call`);
        push('assistant', parts);
        break;
      }
      case 'tool':
        if (typeof m.tool_call_id !== 'string') throw bad(`"${at}.tool_call_id" must be a string.`);
        push('user', [walk.toolResult(m.tool_call_id, m.content, at)]);
        usesTools = true;
        break;
      default:
        throw unsupported(`${at}.role`, `"${String(m.role)}" is not supported by the ${walk.provider} provider`);
    }
  });
  return { system, turns, usesTools };
}
