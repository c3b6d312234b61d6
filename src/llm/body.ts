// Reads an LLM request body: bounded by the route's maxBodyBytes and body idle timeout
// (core's one body reader, request-body.ts), then parsed as one JSON object, nested at
// most the route's maxJsonDepth deep (core/json.ts).
// A malformed body, one nested deeper, or one with a "__proto__" key however it is spelled
// (which some JavaScript consumers downstream of us would turn into prototype pollution) is
// a 400; the parser's own message and position never reach the client.
import { ClientGoneError, GatewayError, JsonRefusedError, parseJson, readBody, UNTRUSTED_JSON } from '../core/index.js';
import { isObject } from './openai-errors.js';

// The one promise reader of request bodies is core's (request-body.ts).
export { ClientGoneError, readBody };

/** Parses a request body that must be a JSON object. */
export function parseJsonObject(raw: Buffer, maxDepth: number): Record<string, unknown> {
  let v: unknown;
  try {
    v = parseJson(raw.toString('utf8'), { maxDepth, refuseProtoKey: true });
  } catch (err) {
    throw refused(err, 'The request body', 'limits.maxJsonDepth');
  }
  if (!isObject(v)) throw new GatewayError('AE_BAD_REQUEST', { message: 'The request body must be a JSON object.' });
  return v;
}

/**
 * Parses a JSON text the client sent inside its body (a tool call's `arguments`), for a
 * translation that needs it as a value: the same rules as a body, at the highest depth any
 * route may allow. `what` names it in the 400 ("\"messages[2].tool_calls[0].function.arguments\"").
 */
export function parseClientJsonText(text: string, what: string): unknown {
  try {
    return parseJson(text, CLIENT_TEXT_JSON);
  } catch (err) {
    throw refused(err, what, null);
  }
}

/** The rules for JSON a client sends inside its body: a body's, at the highest depth any route may allow. */
export const CLIENT_TEXT_JSON = Object.freeze({ maxDepth: UNTRUSTED_JSON.maxDepth, refuseProtoKey: true });

/** The 400 for a JSON text parseJson refused; `setting` is the config key that raises a depth bound. */
function refused(err: unknown, what: string, setting: string | null): GatewayError {
  if (!(err instanceof JsonRefusedError)) throw err;
  const message = err.problem === 'depth'
    ? `${what} nests arrays and objects deeper than ${err.maxDepth} levels${setting === null ? '' : ` (the route's ${setting})`}.`
    : err.problem === 'proto' ? `${what} has a forbidden key "__proto__".`
      : `${what} is not valid JSON.`;
  return new GatewayError('AE_BAD_REQUEST', { message });
}
