// One upstream answer, received through undici's handler API (`dispatch`) rather than its
// promise API (`request`): no `Readable` body, no AbortController, no promise per chunk.
// The status and headers resolve `started`; the body goes to one reader attached with
// `read()` (the pass-through relay writes each chunk straight to the client), or is
// iterated with `chunks()` where a translator wants `for await`.
//
// Chunks that arrive before a reader is attached (the headers and the first body bytes
// often come in one socket read, and the reader attaches a microtask later) are queued;
// past QUEUE_LIMIT the upstream is paused until a reader takes them.
import type { Dispatcher } from 'undici';
import type { UpstreamHeaders } from '../core/index.js';

/** Bytes queued before a reader is attached, or while it is paused, before the upstream is paused too. */
const QUEUE_LIMIT = 64 * 1024;

/** Takes an answer's body. `pause()`/`resume()` on the answer give backpressure. */
export interface AnswerReader {
  onData(chunk: Buffer): void;
  onEnd(): void;
  onError(err: Error): void;
}

const OPEN = 0;
const ENDED = 1;
const FAILED = 2;

export class Answer implements Dispatcher.DispatchHandler {
  statusCode = 0;
  headers: UpstreamHeaders = {};
  /** Resolves once the status and headers are in; rejects when the call fails before that. */
  readonly started: Promise<void>;
  #resolve!: () => void;
  #reject!: (err: Error) => void;
  #controller: Dispatcher.DispatchController | null = null;
  /** An abort asked for before undici handed over a controller. */
  #abortWith: Error | null = null;
  #headersIn = false;
  #reader: AnswerReader | null = null;
  #queue: Buffer[] | null = null;
  #queued = 0;
  /** The reader asked to pause. */
  #paused = false;
  #state = OPEN;
  #error: Error | null = null;
  /** onEnd / onError was given to the reader. */
  #told = false;

  constructor() {
    this.started = new Promise<void>((resolve, reject) => { this.#resolve = resolve; this.#reject = reject; });
  }

  /** True once the body ended or failed (a later abort is a no-op). */
  get done(): boolean { return this.#state !== OPEN; }

  /** Attaches the body's reader; queued chunks and a queued end reach it now. */
  read(reader: AnswerReader): void {
    this.#reader = reader;
    this.#flush();
  }

  /** Stops reading the upstream socket until `resume()` (the client cannot take more yet). */
  pause(): void {
    this.#paused = true;
    if (this.#controller !== null && !this.#controller.paused) this.#controller.pause();
  }

  resume(): void {
    this.#paused = false;
    this.#flush();
    if (!this.#paused && this.#controller?.paused === true) this.#controller.resume();
  }

  /** Aborts the call: before the headers `started` rejects, after them the reader gets `err`. */
  abort(err: Error): void {
    if (this.#state !== OPEN) return;
    if (this.#controller === null) { this.#abortWith = err; return; }
    if (!this.#controller.aborted) this.#controller.abort(err);
  }

  /** The body as an async iterable, for readers that translate it piece by piece. */
  chunks(): AsyncIterable<Buffer> {
    return { [Symbol.asyncIterator]: () => new ChunkIterator(this) };
  }

  /** Reads and drops the body (up to `limit` bytes; past that the call is aborted). Never rejects. */
  discard(limit: number): Promise<void> {
    return new Promise<void>((resolve) => { this.read(new Discard(this, limit, resolve)); });
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.#controller = controller;
    if (this.#abortWith !== null) controller.abort(this.#abortWith);
  }

  onResponseStart(controller: Dispatcher.DispatchController, statusCode: number, headers: UpstreamHeaders): void {
    if (statusCode < 200) return;
    this.statusCode = statusCode;
    this.headers = headers;
    this.#headersIn = true;
    if (this.#paused) controller.pause();
    this.#resolve();
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    // undici's parser flushes on every resume() and reports an empty body span: it is not a
    // chunk. Passed on, a reader that pauses per chunk (ChunkIterator) would get one on every
    // resume, forever, and a reader that collects chunks would never reach its size cap.
    if (chunk.length === 0) return;
    if (this.#reader !== null && !this.#paused && this.#queue === null) {
      this.#reader.onData(chunk);
      return;
    }
    (this.#queue ??= []).push(chunk);
    this.#queued += chunk.length;
    if (this.#queued > QUEUE_LIMIT && !controller.paused) controller.pause();
  }

  onResponseEnd(): void {
    this.#state = ENDED;
    this.#flush();
  }

  // `controller` is undefined when the connection never opened.
  onResponseError(_controller: Dispatcher.DispatchController | undefined, err: Error): void {
    if (this.#state !== OPEN) return;
    this.#state = FAILED;
    this.#error = err;
    if (!this.#headersIn) { this.#told = true; this.#reject(err); return; }
    // A failure drops what was queued: the reader learns the body broke off.
    this.#queue = null;
    this.#queued = 0;
    this.#flush();
  }

  /** Hands queued chunks, then the end or the error, to the reader, as far as it is not paused. */
  #flush(): void {
    const reader = this.#reader;
    if (reader === null) return;
    const queue = this.#queue;
    if (queue !== null) {
      while (queue.length > 0 && !this.#paused) {
        const chunk = queue.shift()!;
        this.#queued -= chunk.length;
        reader.onData(chunk);
      }
      if (queue.length > 0) return;
      this.#queue = null;
    }
    // An end waits for a paused reader; an error does not (the reader may wait on a drain that never comes).
    if (this.#told || this.#state === OPEN || (this.#paused && this.#state === ENDED)) return;
    this.#told = true;
    if (this.#state === ENDED) reader.onEnd();
    else reader.onError(this.#error!);
  }
}

type Pending = { resolve: (r: IteratorResult<Buffer>) => void; reject: (err: Error) => void };

/**
 * `for await` over an answer's body. Chunks that arrive while the loop body runs are
 * queued up to QUEUE_LIMIT bytes, then the upstream is paused until the loop catches up:
 * memory stays bounded, and a fast upstream is not paused and resumed on every chunk.
 */
class ChunkIterator implements AsyncIterator<Buffer>, AnswerReader {
  readonly #answer: Answer;
  readonly #queue: Buffer[] = [];
  #queued = 0;
  #paused = false;
  #ended = false;
  #error: Error | null = null;
  #pending: Pending | null = null;

  constructor(answer: Answer) {
    this.#answer = answer;
    answer.read(this);
  }

  next(): Promise<IteratorResult<Buffer>> {
    if (this.#queue.length > 0) {
      const value = this.#queue.shift()!;
      this.#queued -= value.length;
      if (this.#paused && this.#queued <= QUEUE_LIMIT) {
        this.#paused = false;
        this.#answer.resume();
      }
      return Promise.resolve({ value, done: false });
    }
    if (this.#error !== null) return Promise.reject(this.#error);
    if (this.#ended) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve, reject) => { this.#pending = { resolve, reject }; });
  }

  /** A `break` out of the loop: the rest of the body is not wanted. */
  return(): Promise<IteratorResult<Buffer>> {
    this.#ended = true;
    this.#queue.length = 0;
    this.#queued = 0;
    this.#answer.abort(new Error('answer body abandoned by its reader'));
    return Promise.resolve({ value: undefined, done: true });
  }

  onData(chunk: Buffer): void {
    const p = this.#pending;
    if (p !== null) {
      this.#pending = null;
      p.resolve({ value: chunk, done: false });
      return;
    }
    this.#queue.push(chunk);
    this.#queued += chunk.length;
    if (this.#queued > QUEUE_LIMIT && !this.#paused) {
      this.#paused = true;
      this.#answer.pause();
    }
  }

  onEnd(): void {
    this.#ended = true;
    const p = this.#pending;
    this.#pending = null;
    p?.resolve({ value: undefined, done: true });
  }

  onError(err: Error): void {
    // Chunks still queued come first: the loop sees what arrived, then the break.
    const p = this.#pending;
    this.#pending = null;
    if (p !== null) p.reject(err);
    else this.#error = err;
  }
}

class Discard implements AnswerReader {
  readonly #answer: Answer;
  #left: number;
  readonly #done: () => void;
  constructor(answer: Answer, limit: number, done: () => void) {
    this.#answer = answer;
    this.#left = limit;
    this.#done = done;
  }
  onData(chunk: Buffer): void {
    this.#left -= chunk.length;
    if (this.#left < 0) this.#answer.abort(new Error('discarded answer over its limit'));
  }
  onEnd(): void { this.#done(); }
  onError(): void { this.#done(); }
}
