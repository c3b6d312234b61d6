// The request context: one object per downstream request, created at accept and passed
// through every phase. Phases read and fill it; the access log, metrics and (later) spans
// are written from it when the response ends.
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ErrorRenderer } from './render.js';
import { renderJsonError } from './render.js';
import type { ErrorCode } from './errors.js';
import { NO_OBSERVER, type RequestObserver } from './observer.js';
import type { CallGate, DeferredDecision } from './call-gate.js';

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

// Request ids need to be unique, not secret: a random per-process prefix and a counter
// cost a fraction of a UUID, and still sort by arrival within a process.
const ID_PREFIX = randomBytes(6).toString('hex');
let idCounter = 0;
function newRequestId(): string {
  return `${ID_PREFIX}-${(++idCounter).toString(36)}`;
}

/** The caller, once authentication has run. */
export interface Identity {
  /** "apiKey" or "jwt". */
  readonly kind: string;
  /** The key's name, or the token's subject (`sub`). */
  readonly name: string;
  /** The key's metadata (strings); for a JWT, none. */
  readonly metadata: Readonly<Record<string, string>>;
  /** The verified JWT claims (CEL `jwt`); null for an API key. */
  readonly claims: Readonly<Record<string, unknown>> | null;
  /** The authentication policy that accepted the caller. */
  readonly policy: string;
}

/** An LLM call, filled by the llm handler; tokens once the provider reported them. */
export interface LlmCall {
  /** The model name the client sent (a virtual model's name, when it named one). */
  model: string;
  /** The concrete model that served the call (the last one tried when none did). */
  target: string;
  /** The target's provider. */
  provider: string;
  stream: boolean;
  /** Upstream calls made (retries and failovers included). */
  attempts: number;
  /** Input tokens, cache reads and writes included; null until the provider said. */
  inputTokens: number | null;
  outputTokens: number | null;
  /** Of inputTokens: read from / written to the provider's prompt cache, when it said. */
  cacheReadTokens: number | null;
  cacheWriteTokens: number | null;
  /** Cost in USD; null while unknown (no usage yet, or no price for the model): never a made-up 0. */
  costUsd: number | null;
  /** True when the tokens are an estimate (a stream cut before the provider reported usage). */
  estimated: boolean;
}

/**
 * How a protocol call ended: `ok`, the upstream answered it; `error`, the upstream failed,
 * answered an error, or said the call failed (an MCP tool result with isError); `refused`,
 * the call gate refused it and the upstream never saw it.
 */
export type CallOutcome = 'ok' | 'error' | 'refused';

/**
 * A call a protocol handler made for a request, other than an LLM call (that is `ctx.llm`):
 * an MCP tool call, prompt or resource read; an A2A message. Protocol-neutral: the handler
 * begins it once it knows what is called and ends it when the answer is known
 * (`beginCall` / `endCall` in observer.ts); the observer's `callEnd` hands it to the usage
 * ledger. A request may carry several (an MCP batch); `ctx.call` is the latest.
 */
export interface ProtocolCall {
  /** The handler's protocol (its CEL variable: `mcp`, `a2a`). */
  readonly protocol: string;
  /** The method of the protocol (`tools/call`, `prompts/get`, `resources/read`, `message/send`). */
  readonly method: string;
  /** What the client called, as it named it (an MCP tool's `<server>__<tool>`). */
  readonly called: string;
  /** Where it went within the backend: the MCP server, the A2A agent. */
  readonly target: string;
  /** Its name there: the tool, prompt or resource URI as the server knows it. */
  readonly name: string;
  /** Epoch milliseconds and performance.now() when it began (before the call gate). */
  readonly startedAtMs: number;
  readonly startedAt: number;
  /** performance.now() when it ended; 0 while in flight. */
  endedAt: number;
  /** Null while in flight. */
  outcome: CallOutcome | null;
  /**
   * The outcome in HTTP terms, as the client's error says it (JSON-RPC `data.status`): 200
   * when answered (a tool result with isError too), a refusal's status (403, 429, 503), the
   * gateway's error status, 502 when the upstream failed or answered an error, 499 when the
   * client cancelled or left; 0 while in flight.
   */
  status: number;
}

const NO_HEADERS: readonly string[] = Object.freeze([]);

export class RequestContext {
  readonly id: string;
  readonly startedAt: number;
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly listener: string;
  readonly clientAddress: string;
  readonly secure: boolean;
  method: string;
  /** Normalised path (core/path.ts); what routing, policy and the upstream see. */
  path = '/';
  query = '';
  host = '';
  route: string | null = null;
  backend: string | null = null;
  identity: Identity | null = null;
  /** Set by the llm handler once the model is known. */
  llm: LlmCall | null = null;
  /** The latest call a protocol handler other than llm made for this request (an MCP tool call, …); see ProtocolCall. */
  call: ProtocolCall | null = null;
  /** The route's call gate (call-gate.ts), when its backend's protocol has policies (set by the pipeline). */
  gate: CallGate | null = null;
  /** Request-phase decisions the call gate waits for (see DeferredDecision); null when none. */
  deferred: DeferredDecision[] | null = null;
  /** Turns errors into the route's protocol shape. */
  render: ErrorRenderer = renderJsonError;
  /** Headers filters add to whatever response goes out (CORS, rate-limit info). */
  responseHeaders: Record<string, string> | null = null;
  /** Set when the gateway, not the upstream, produced the outcome. */
  errorCode: ErrorCode | null = null;
  bytesIn = 0;
  bytesOut = 0;
  /**
   * When the request's FIRST upstream attempt was sent, and when that attempt's answer
   * (status and headers) came; 0 until then. Later attempts (retries, failovers) are
   * reported as observer events (attemptStart/attemptEnd), never written over these.
   */
  upstreamStartedAt = 0;
  upstreamHeadersAt = 0;
  /** performance.now() when the response closed (set by the pipeline before the `end` event); 0 before. */
  endedAt = 0;
  /** Where this request's events go (observer.ts); set by the pipeline from the gateway's subscribers. */
  observer: RequestObserver = NO_OBSERVER;
  /** The client went away before the response completed. */
  clientAborted = false;
  /**
   * The request headers that carried the gateway credential the caller authenticated with
   * (the one it was read from, and any other credential header with the same value). No
   * backend forwards them, unless it says `passthrough` (RELIABILITY 26).
   */
  credentialHeaders: readonly string[] = NO_HEADERS;

  constructor(req: IncomingMessage, res: ServerResponse, listener: string, secure: boolean) {
    this.startedAt = performance.now();
    this.req = req;
    this.res = res;
    this.listener = listener;
    this.secure = secure;
    this.method = req.method ?? 'GET';
    this.clientAddress = req.socket.remoteAddress ?? '';
    const incoming = req.headers['x-request-id'];
    this.id = typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : newRequestId();
  }

  /** The handler phase was reached (its body limits apply; see pipeline.ts). */
  inHandler = false;
  #onEnd: (() => void)[] | null = null;

  /** Runs `fn` once when the response is done or abandoned (resource bookkeeping). */
  onEnd(fn: () => void): void {
    (this.#onEnd ??= []).push(fn);
  }

  /** Called by the pipeline when the response closes. */
  ended(): void {
    const fns = this.#onEnd;
    if (fns === null) return;
    this.#onEnd = null;
    for (const fn of fns) fn();
  }

  addResponseHeader(name: string, value: string): void {
    (this.responseHeaders ??= {})[name] = value;
  }

  elapsedMs(): number {
    return performance.now() - this.startedAt;
  }

  /** From accept to the response's close; the same number for every `end` subscriber. */
  durationMs(): number {
    return (this.endedAt === 0 ? performance.now() : this.endedAt) - this.startedAt;
  }

  /** The status the request ended with: a client that left before the response finished is 499 (nginx's convention). */
  finalStatus(): number {
    return this.clientAborted && !this.res.writableFinished ? 499 : this.res.statusCode;
  }
}
