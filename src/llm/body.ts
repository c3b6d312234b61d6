// Reads an LLM request body: bounded by the route's maxBodyBytes and body idle timeout,
// then parsed as one JSON object, nested at most the route's maxJsonDepth deep (core/json.ts).
// A malformed body, one nested deeper, or one with a "__proto__" key however it is spelled
// (which some JavaScript consumers downstream of us would turn into prototype pollution) is
// a 400; the parser's own message and position never reach the client.
import type { BodyLimits, RequestContext } from '../core/index.js';
import { GatewayError, JsonRefusedError, parseJson, UNTRUSTED_JSON } from '../core/index.js';
import { isObject } from './openai-errors.js';

/** Rejection when the client went away mid-body: nobody is left to answer. */
export class ClientGoneError extends Error {
  constructor() { super('client closed the connection'); this.name = 'ClientGoneError'; }
}

export function readBody(ctx: RequestContext, limits: BodyLimits): Promise<Buffer> {
  return new Promise<Buffer>((resolve, reject) => {
    const req = ctx.req;
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    let timer: NodeJS.Timeout | null = null;
    const finish = (): boolean => {
      if (done) return false;
      done = true;
      if (timer !== null) clearTimeout(timer);
      req.off('data', onData).off('end', onEnd).off('error', onError);
      return true;
    };
    const fail = (err: GatewayError): void => {
      if (!finish()) return;
      req.pause();
      if (!ctx.res.headersSent) ctx.res.setHeader('connection', 'close');
      reject(err);
    };
    const onData = (c: Buffer): void => {
      size += c.length;
      ctx.bytesIn += c.length;
      if (size > limits.maxBodyBytes) return fail(new GatewayError('AE_BODY_TOO_LARGE'));
      chunks.push(c);
      timer?.refresh();
    };
    const onEnd = (): void => {
      if (finish()) resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
    };
    const onError = (): void => {
      if (!finish()) return;
      ctx.clientAborted = true;
      reject(new ClientGoneError());
    };
    // Plain `on`: finish() removes all three, and `once` would wrap each one.
    req.on('data', onData).on('end', onEnd).on('error', onError);
    ctx.onEnd(() => {
      if (done) return;
      ctx.clientAborted = true;
      finish();
      reject(new ClientGoneError());
    });
    if (limits.bodyIdleTimeoutMs > 0) {
      timer = setTimeout(() => fail(new GatewayError('AE_REQUEST_TIMEOUT', { detail: 'request body idle timeout' })), limits.bodyIdleTimeoutMs);
    }
  });
}

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
