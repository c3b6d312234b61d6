// Reads an LLM request body: bounded by the route's maxBodyBytes and body idle timeout,
// then parsed as one JSON object. A malformed body or one with a "__proto__" key (which
// some JavaScript consumers downstream of us would turn into prototype pollution) is a
// 400; the parser's own message and position never reach the client.
import type { BodyLimits, RequestContext } from '../core/index.js';
import { GatewayError } from '../core/index.js';
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
export function parseJsonObject(raw: Buffer): Record<string, unknown> {
  const text = raw.toString('utf8');
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    throw new GatewayError('AE_BAD_REQUEST', { message: 'The request body is not valid JSON.' });
  }
  if (!isObject(v)) throw new GatewayError('AE_BAD_REQUEST', { message: 'The request body must be a JSON object.' });
  // The scan is only paid by bodies that mention the key at all.
  if (text.includes('__proto__') && hasProtoKey(v)) {
    throw new GatewayError('AE_BAD_REQUEST', { message: 'The request body has a forbidden key "__proto__".' });
  }
  return v;
}

function hasProtoKey(root: unknown): boolean {
  const stack: unknown[] = [root];
  while (stack.length > 0) {
    const v = stack.pop();
    if (v === null || typeof v !== 'object') continue;
    if (Array.isArray(v)) {
      for (const x of v) stack.push(x);
      continue;
    }
    if (Object.prototype.hasOwnProperty.call(v, '__proto__')) return true;
    for (const k of Object.keys(v)) stack.push((v as Record<string, unknown>)[k]);
  }
  return false;
}
