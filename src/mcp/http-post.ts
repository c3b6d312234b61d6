// The POST half of the Streamable HTTP transport toward an upstream server, on the hot path
// of every call: one dispatch through the upstream stack, its answer (one JSON message, a
// batch, or an event stream of messages) handed over as parsed messages. The SDK's own
// transport does the same through WHATWG fetch, re-validates each message with zod and keeps
// per-request state on a session-long AbortSignal: measured in bench/README.md ("MCP
// scenarios"), that was most of the gateway's cost of a call. The SDK transport still
// carries the rest of the session (the standalone GET stream, notifications and answers the
// gateway sends, ending the session), given the session id this side obtained.
//
// The answer is taken through undici's handler API (as llm/answer.ts does), not its promise
// API: no URL parsed per call, no Readable body and no async iteration over it, no abort
// listener of undici's own; a JSON answer is collected and delivered in the socket read that
// ends it, an event stream's messages in the reads that bring them.
import type { Dispatcher } from 'undici';
import { parseJson, sseData, sseEvents, SseFramer, UNTRUSTED_JSON, type UpstreamHeaders } from '../core/index.js';
import type { Cancel } from './cancel.js';
import { isObject } from './jsonrpc.js';

/** The most an upstream answer may hold (one JSON body, or one event of a stream). */
const MAX_ANSWER_BYTES = 16 * 1024 * 1024;

/** The most of an answer nobody reads (202, a lost session) taken in before the connection is given up, as undici's `dump`. */
const MAX_IGNORED_BYTES = 128 * 1024;

/** A failure to reach or use the server, with whether its session is gone (HTTP 404). */
export class PostFailure extends Error {
  readonly sessionLost: boolean;
  constructor(message: string, sessionLost = false) {
    super(message);
    this.name = 'PostFailure';
    this.sessionLost = sessionLost;
  }
}

export class StreamablePoster {
  readonly #origin: string;
  readonly #path: string;
  readonly #headers: Readonly<Record<string, string>>;
  readonly #dispatch: Dispatcher.Dispatch;
  #sessionId: string | null = null;
  #protocolVersion: string | null = null;
  /** The request headers, built again only when the session id or the revision changes. */
  #requestHeaders: Readonly<Record<string, string>> | null = null;

  /** `dispatch`: the upstream stack's (core/upstream.ts), so every POST passes it. */
  constructor(url: string, headers: Readonly<Record<string, string>>, dispatch: Dispatcher.Dispatch) {
    const u = new URL(url);
    this.#origin = u.origin;
    this.#path = `${u.pathname}${u.search}`;
    this.#headers = headers;
    this.#dispatch = dispatch;
  }

  /** Set from the initialize answer; sent with every later request. */
  get sessionId(): string | null { return this.#sessionId; }
  set sessionId(id: string | null) {
    this.#sessionId = id;
    this.#requestHeaders = null;
  }

  /** The negotiated revision; sent as MCP-Protocol-Version once known. */
  get protocolVersion(): string | null { return this.#protocolVersion; }
  set protocolVersion(v: string | null) {
    this.#protocolVersion = v;
    this.#requestHeaders = null;
  }

  /**
   * POSTs one message (with `extra` headers: a 2026-07-28 request's mirrored ones); every
   * message of the answer goes to `deliver`. Rejects with a PostFailure.
   */
  post(msg: object, deliver: (m: unknown) => void, cancel?: Cancel, extra?: Readonly<Record<string, string>>): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const exchange = new PostExchange(this, deliver, resolve, reject, cancel);
      const headers = extra === undefined ? this.#headerSet() : { ...this.#headerSet(), ...extra };
      const opts: Dispatcher.DispatchOptions = { origin: this.#origin, path: this.#path, method: 'POST', headers, body: JSON.stringify(msg) };
      try {
        this.#dispatch(opts, exchange);
      } catch (err) {
        exchange.onResponseError(undefined, err instanceof Error ? err : new Error(String(err)));
      }
    });
  }

  #headerSet(): Readonly<Record<string, string>> {
    if (this.#requestHeaders !== null) return this.#requestHeaders;
    const headers: Record<string, string> = { ...this.#headers, 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
    if (this.#sessionId !== null) headers['mcp-session-id'] = this.#sessionId;
    if (this.#protocolVersion !== null) headers['mcp-protocol-version'] = this.#protocolVersion;
    // Shared by every POST of the session: an interceptor that wrote into it would change them all.
    return this.#requestHeaders = Object.freeze(headers);
  }
}

// What becomes of an answer's body.
/** Not read: a 202, a lost session (the connection is kept when the rest is small). */
const IGNORED = 0;
/** One JSON message or a batch, collected whole. */
const JSON_BODY = 1;
/** An event stream, delivered event by event. */
const EVENTS = 2;
/** A failure status: collected, in case it is a JSON-RPC error for the request. */
const FAILURE = 3;

/** One POST and its answer, as undici's dispatch handler. Settles its promise exactly once. */
class PostExchange implements Dispatcher.DispatchHandler {
  readonly #poster: StreamablePoster;
  readonly #deliver: (m: unknown) => void;
  readonly #resolve: () => void;
  readonly #reject: (err: Error) => void;
  /** Forgets this exchange's cancel listener; null when it has none. */
  readonly #forget: (() => void) | null;
  #controller: Dispatcher.DispatchController | null = null;
  #settled = false;
  #status = 0;
  #body = IGNORED;
  /** For a 404: the session is gone. */
  #lost = false;
  #chunks: Buffer[] = [];
  #size = 0;
  #framer: SseFramer | null = null;

  constructor(poster: StreamablePoster, deliver: (m: unknown) => void, resolve: () => void, reject: (err: Error) => void, cancel: Cancel | undefined) {
    this.#poster = poster;
    this.#deliver = deliver;
    this.#resolve = resolve;
    this.#reject = reject;
    this.#forget = cancel === undefined ? null : cancel.onAbort(this.#onAbort);
  }

  // The caller gave up on the call (the client cancelled it or left): the request is
  // aborted, which closes its connection, as undici's request does with a signal.
  readonly #onAbort = (): void => {
    const reason = new Error('This operation was aborted');
    if (this.#controller !== null) this.#controller.abort(reason);
    else this.onResponseError(undefined, reason);
  };

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.#controller = controller;
    if (this.#settled) controller.abort(new Error('This operation was aborted'));
  }

  onResponseStart(_c: Dispatcher.DispatchController, statusCode: number, headers: UpstreamHeaders): void {
    if (statusCode < 200 || this.#settled) return;
    this.#status = statusCode;
    if (statusCode === 202) return;
    if (statusCode === 404 && this.#poster.sessionId !== null) { this.#lost = true; return; }
    if (statusCode > 299) { this.#body = FAILURE; return; }
    const sid = headers['mcp-session-id'];
    if (typeof sid === 'string' && this.#poster.sessionId === null) this.#poster.sessionId = sid;
    const type = headers['content-type'];
    if (typeof type === 'string' && type.startsWith('text/event-stream')) {
      this.#body = EVENTS;
      this.#framer = new SseFramer(MAX_ANSWER_BYTES);
    } else {
      this.#body = JSON_BODY;
    }
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.#settled || chunk.length === 0) return;
    if (this.#body === EVENTS) {
      try {
        const region = this.#framer!.push(chunk);
        if (region.length !== 0) for (const ev of sseEvents(region)) deliverText(sseData(ev), this.#deliver);
      } catch (err) {
        this.#fail(new PostFailure(`broke off its event stream: ${messageOf(err)}`.slice(0, 300)));
        controller.abort(new Error('event stream refused'));
      }
      return;
    }
    this.#size += chunk.length;
    if (this.#body === IGNORED) {
      if (this.#size > MAX_IGNORED_BYTES) {
        this.#end();
        controller.abort(new Error('answer body not read'));
      }
      return;
    }
    if (this.#size > MAX_ANSWER_BYTES) {
      this.#fail(this.#body === JSON_BODY ? new PostFailure(`answered with more than ${MAX_ANSWER_BYTES} bytes`) : this.#httpFailure(''));
      controller.abort(new Error('answer too large'));
      return;
    }
    this.#chunks.push(chunk);
  }

  onResponseEnd(): void {
    if (this.#settled) return;
    if (this.#body === JSON_BODY) {
      deliverText(this.#text(), this.#deliver);
    } else if (this.#body === FAILURE) {
      const text = this.#text();
      // A JSON-RPC error for the request is its answer, whatever the status.
      const parsed = tryParse(text);
      if (!(isObject(parsed) && parsed.id !== undefined && parsed.id !== null && isObject(parsed.error))) return this.#fail(this.#httpFailure(text));
      this.#deliver(parsed);
    }
    this.#end();
  }

  // `controller` is undefined when the connection never opened.
  onResponseError(_c: Dispatcher.DispatchController | undefined, err: Error): void {
    if (this.#settled) return;
    if (this.#status === 0) return this.#fail(new PostFailure(`could not be reached: ${err.message}`.slice(0, 300)));
    switch (this.#body) {
      case IGNORED: return this.#end();
      case FAILURE: return this.#fail(this.#httpFailure(''));
      case EVENTS: return this.#fail(new PostFailure(`broke off its event stream: ${err.message}`.slice(0, 300)));
      case JSON_BODY: return this.#fail(err);
    }
  }

  #text(): string {
    const chunks = this.#chunks;
    return chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks, this.#size).toString('utf8');
  }

  #httpFailure(text: string): PostFailure {
    return new PostFailure(`answered HTTP ${this.#status}${text === '' ? '' : `: ${text.slice(0, 200)}`}`);
  }

  /** The exchange is over: resolved, unless its answer said the session is gone. */
  #end(): void {
    if (this.#lost) return this.#fail(new PostFailure('the upstream session expired', true));
    this.#done();
    this.#resolve();
  }

  #fail(err: Error): void {
    this.#done();
    this.#reject(err);
  }

  #done(): void {
    this.#settled = true;
    this.#chunks = [];
    this.#forget?.();
  }
}

/** One message, or a batch of them, as text. */
function deliverText(text: string, deliver: (m: unknown) => void): void {
  if (text.trim() === '') return;
  const v = tryParse(text);
  if (Array.isArray(v)) for (const m of v) deliver(m);
  else if (v !== undefined) deliver(v);
}

function tryParse(text: string): unknown {
  try {
    return parseJson(text, UNTRUSTED_JSON);
  } catch {
    return undefined;
  }
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
