// What every translated provider does the same way when it reads an OpenAI chat request:
// the 400 for a field it cannot express (named, never dropped), the text of a message
// that may only hold text, and a tool call's JSON arguments as a value. Each provider wraps
// them in its own block shape.
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
