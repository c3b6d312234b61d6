// Reads a whole request body into memory, within the route's limits: at most maxBodyBytes
// (past it AE_BODY_TOO_LARGE) and no pause longer than bodyIdleTimeoutMs between chunks
// (AE_REQUEST_TIMEOUT). On either the request is paused and the connection marked to
// close (the rest of the body is not read). A client that goes away mid-body ends the read
// with ClientGoneError. Used by the http backend (small bodies, buffered so a refused
// connection can be retried) and the LLM fronts (bodies they parse). Callback-style: no
// promise per request on the http backend's hot path.
import type { RequestContext } from './context.js';
import { GatewayError } from './errors.js';

export interface BodyReadLimits {
  readonly maxBodyBytes: number;
  readonly bodyIdleTimeoutMs: number;
}

/** The client went away mid-body: nobody is left to answer. */
export class ClientGoneError extends Error {
  /** The request stream's own error when it failed; null when the client closed the connection. */
  readonly error: Error | null;
  constructor(error: Error | null = null) {
    super('client closed the connection');
    this.name = 'ClientGoneError';
    this.error = error;
  }
}

/** `err` is a GatewayError (limits), a ClientGoneError, or null with the body. */
export type BodyDone = (err: GatewayError | ClientGoneError | null, body: Buffer | null) => void;

/** Reads `ctx.req`'s body; `done` is called exactly once, unless the client leaves after it. */
export function readRequestBody(ctx: RequestContext, limits: BodyReadLimits, done: BodyDone): void {
  new BodyReader(ctx, limits, done).start();
}

class BodyReader {
  readonly #ctx: RequestContext;
  readonly #limits: BodyReadLimits;
  readonly #done: BodyDone;
  readonly #chunks: Buffer[] = [];
  #size = 0;
  /** The declared Content-Length; -1 without one (a chunked body ends with its 'end' event). */
  #expected = -1;
  #over = false;
  #timer: NodeJS.Timeout | null = null;

  constructor(ctx: RequestContext, limits: BodyReadLimits, done: BodyDone) {
    this.#ctx = ctx;
    this.#limits = limits;
    this.#done = done;
  }

  start(): void {
    const declared = this.#ctx.req.headers['content-length'];
    if (declared !== undefined) this.#expected = Number(declared);
    // Plain `on`: #finish() removes all three, and `once` would wrap each one.
    this.#ctx.req.on('data', this.#onData).on('end', this.#onEnd).on('error', this.#onError);
    this.#ctx.onEnd(this.#onClose);
    if (this.#limits.bodyIdleTimeoutMs > 0) this.#timer = setTimeout(this.#onIdle, this.#limits.bodyIdleTimeoutMs);
  }

  readonly #onData = (c: Buffer): void => {
    this.#size += c.length;
    this.#ctx.bytesIn += c.length;
    if (this.#size > this.#limits.maxBodyBytes) return this.#refuse(new GatewayError('AE_BODY_TOO_LARGE'));
    this.#chunks.push(c);
    // llhttp holds a body with a Content-Length to exactly that length: with the last byte in,
    // the body is whole, a tick before the stream's 'end' (nothing is listening for it then).
    if (this.#size === this.#expected) return this.#onEnd();
    this.#timer?.refresh();
  };

  readonly #onEnd = (): void => {
    if (!this.#finish()) return;
    const chunks = this.#chunks;
    this.#done(null, chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, this.#size));
  };

  readonly #onError = (err: Error): void => {
    if (this.#finish()) this.#done(new ClientGoneError(err), null);
  };

  // The response closed before the body was read: the client left.
  readonly #onClose = (): void => {
    if (!this.#finish()) return;
    this.#ctx.clientAborted = true;
    this.#done(new ClientGoneError(), null);
  };

  readonly #onIdle = (): void => {
    this.#refuse(new GatewayError('AE_REQUEST_TIMEOUT', { detail: 'request body idle timeout' }));
  };

  /** Past a limit: the rest is not read, and the connection closes after the answer. */
  #refuse(err: GatewayError): void {
    if (!this.#finish()) return;
    this.#ctx.req.pause();
    if (!this.#ctx.res.headersSent) this.#ctx.res.setHeader('connection', 'close');
    this.#done(err, null);
  }

  #finish(): boolean {
    if (this.#over) return false;
    this.#over = true;
    if (this.#timer !== null) { clearTimeout(this.#timer); this.#timer = null; }
    this.#ctx.req.off('data', this.#onData).off('end', this.#onEnd).off('error', this.#onError);
    return true;
  }
}

/**
 * readRequestBody as a promise, for async handlers: the whole body with the route's limits;
 * rejects with the GatewayError of a limit, or ClientGoneError (marking the context aborted)
 * when the client left mid-body.
 */
export function readBody(ctx: RequestContext, limits: BodyReadLimits): Promise<Buffer> {
  return new Promise<Buffer>((resolve, reject) => {
    readRequestBody(ctx, limits, (err, body) => {
      if (err === null) { resolve(body!); return; }
      if (err instanceof ClientGoneError) ctx.clientAborted = true;
      reject(err);
    });
  });
}
