// The plumbing every LLM front shares once a call has been answered: reading a bounded
// answer, the response headers the client sees, backpressure, and replies the gateway
// writes itself. The fronts (chat.ts, messages.ts, responses.ts) own their formats only.
import type { OutgoingHttpHeaders } from 'node:http';
import type { LlmModelSpec } from './spec.js';
import { GatewayError, type RequestContext, type UpstreamHeaders } from '../core/index.js';
import type { Answer } from './answer.js';
import { answerMask } from './upstream-secrets.js';

/** Largest upstream error body read (to re-shape it); the rest is discarded. */
export const MAX_ERROR_BODY = 64 * 1024;

/** Longest model name echoed back in a not-found message. */
const MAX_ECHOED_NAME = 256;

/** Upstream response headers passed to the client; the rest (cookies, account ids) stay here. */
const PASS_RESPONSE_HEADERS = ['content-type', 'content-length', 'content-encoding', 'cache-control', 'retry-after', 'openai-processing-ms'];

/** What a front needs from the backend while relaying an answer. */
export interface RelayIo {
  /** Maps an upstream failure to a gateway error and counts it; `started`: the answer had begun. */
  failure(err: unknown, started: boolean): GatewayError;
  /** Counts an upstream error the gateway did not raise itself (an error event in a stream). */
  upstreamError(code: string): void;
}


export function modelNotFound(name: string): GatewayError {
  const shown = name.length > MAX_ECHOED_NAME ? `${name.slice(0, MAX_ECHOED_NAME)}…` : name;
  return new GatewayError('AE_MODEL_NOT_FOUND', { message: `The model "${shown}" does not exist or is not served on this route.` });
}

/** The headers of an answer relayed for `model`: a few of the upstream's, and ours. */
export function responseHeaders(ctx: RequestContext, model: LlmModelSpec, upstream: UpstreamHeaders): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {};
  for (const name of PASS_RESPONSE_HEADERS) {
    const v = upstream[name];
    if (v !== undefined) out[name] = v;
  }
  for (const name in upstream) if (name.startsWith('x-ratelimit-')) out[name] = upstream[name];
  if (ctx.responseHeaders !== null) Object.assign(out, ctx.responseHeaders);
  out['x-request-id'] = ctx.id;
  out['x-agentedge-model'] = model.name;
  out['x-agentedge-provider'] = model.provider;
  return out;
}

/** Headers for an answer the gateway wrote itself (translated JSON, an error body). */
export function jsonHeaders(out: OutgoingHttpHeaders, body: string | Buffer): OutgoingHttpHeaders {
  delete out['content-encoding'];
  out['content-type'] = 'application/json';
  out['content-length'] = String(Buffer.byteLength(body));
  return out;
}

/** Headers for a translated stream. */
export function sseHeaders(out: OutgoingHttpHeaders): OutgoingHttpHeaders {
  delete out['content-length'];
  delete out['content-encoding'];
  out['content-type'] = 'text/event-stream; charset=utf-8';
  out['cache-control'] = 'no-cache';
  return out;
}

export function sendJson(ctx: RequestContext, status: number, value: unknown): void {
  const body = JSON.stringify(value);
  const out: OutgoingHttpHeaders = { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)), 'x-request-id': ctx.id };
  if (ctx.responseHeaders !== null) Object.assign(out, ctx.responseHeaders);
  ctx.res.writeHead(status, out);
  ctx.observer.firstByte?.(ctx);
  ctx.res.end(body);
  ctx.bytesOut += Buffer.byteLength(body);
}

/**
 * Writes a whole answer the gateway built (a translated JSON body), with the secrets the
 * call sent upstream masked in it (an upstream may echo them; upstream-secrets.ts).
 */
export function endJson(ctx: RequestContext, model: LlmModelSpec, up: Answer, status: number, body: string): void {
  const mask = answerMask(model);
  const bytes = mask === null ? body : mask.apply(Buffer.from(body));
  ctx.res.writeHead(status, jsonHeaders(responseHeaders(ctx, model, up.headers), bytes));
  ctx.observer.firstByte?.(ctx);
  ctx.bytesOut += Buffer.byteLength(bytes);
  ctx.res.end(bytes);
}

/**
 * Reads a whole answer to translate it, up to the backend's maxResponseBytes (past it the
 * upstream call is aborted and the client gets a 502); null when the client went away. A
 * failure reading it is mapped by `io.failure`.
 */
export async function readAnswer(io: RelayIo, ctx: RequestContext, model: LlmModelSpec, up: Answer): Promise<string | null> {
  const max = model.limits.maxResponseBytes;
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of up.chunks()) {
      size += chunk.length;
      if (size > max) {
        // Thrown out of the loop: the iterator's return() aborts the rest of the answer.
        throw new GatewayError('AE_UPSTREAM_PROTOCOL', { detail: `answer of model ${model.name} is larger than limits.maxResponseBytes (${max} bytes)` });
      }
      chunks.push(chunk);
    }
  } catch (err) {
    if (ctx.clientAborted) return null;
    throw io.failure(err, false);
  }
  if (ctx.clientAborted || ctx.res.destroyed) return null;
  return Buffer.concat(chunks, size).toString('utf8');
}

/** The first MAX_ERROR_BODY bytes of an error answer ('' when it broke off); the rest is discarded. */
export async function readErrorText(up: Answer): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of up.chunks()) {
      chunks.push(chunk);
      size += chunk.length;
      if (size >= MAX_ERROR_BODY) break; // the iterator's return() aborts the rest
    }
  } catch {
    // A broken error body still has its status.
  }
  return Buffer.concat(chunks, Math.min(size, MAX_ERROR_BODY)).toString('utf8');
}
