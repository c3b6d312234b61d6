// The seam between the OpenAI front and a provider that speaks another wire format. A
// provider turns one parsed OpenAI chat request into the upstream request, and gives back a
// translation for the answer: a whole JSON body, or a stream translator fed upstream bytes
// as they arrive. Providers that speak OpenAI themselves (openai, openai-compatible) do not
// use this seam: their bodies pass through byte for byte (backend.ts), which keeps that
// path as fast as a plain proxy.
import type { LlmModelSpec } from '../spec.js';
import type { Usage } from '../usage.js';

/** The request to send upstream; the backend adds the common headers (content-type, length, forwarding). */
export interface UpstreamCall {
  /** Path under the model's origin, including its base path. */
  readonly path: string;
  /** Provider headers (auth, version), set after the client's were filtered. */
  readonly headers: Readonly<Record<string, string>>;
  /** Client request headers never sent to this provider, beyond the common ones. */
  readonly dropHeaders: readonly string[];
  /** The JSON body; a Buffer when it is the client's own bytes, passed on unchanged. */
  readonly body: string | Buffer;
}

/** A translated OpenAI answer. */
export interface TranslatedJson {
  readonly body: string;
  readonly usage: Usage | null;
}

/** Turns upstream stream bytes into OpenAI `chat.completion.chunk` events. */
export interface StreamTranslator {
  /** Takes an upstream chunk (any boundary); returns the OpenAI SSE text to send (maybe ''). */
  push(chunk: Buffer): string;
  /**
   * For an SSE upstream: takes whole events, framed once (and capped) by the relay
   * (core/stream-stages.ts), instead of raw chunks. Without it (bedrock's AWS event stream)
   * the relay passes raw bytes to `push`.
   */
  events?(region: Buffer): string;
  /** True once a terminal event (the `[DONE]` line or an error event) was produced. */
  readonly finished: boolean;
  /** True when the terminal event was the upstream's error, translated. */
  readonly failed: boolean;
  /** Usage seen so far (partial when the stream was cut). */
  readonly usage: Usage | null;
  /**
   * The upstream ended without a terminal event: the text that still ends the answer
   * normally when what came is a complete answer ('' when it is not; the backend then
   * reports the stream as aborted). For formats whose last event is optional (bedrock's
   * metadata after messageStop).
   */
  end?(): string;
}

export interface ChatTranslation {
  readonly call: UpstreamCall;
  /** Translates a whole successful JSON answer. */
  json(raw: string): TranslatedJson;
  /** A translator for a successful streamed answer. */
  stream(): StreamTranslator;
  /**
   * Rebuilds an upstream error answer (status ≥ 400, passed statuses only) as an OpenAI error
   * body, for providers whose errors are not `{"error":{…}}` (bedrock). Default: upstreamErrorBody.
   * Throws a GatewayError when the answer is not the caller's to see (gemini's 400
   * API_KEY_INVALID: the backend's key), which then answers the call instead.
   */
  errorBody?(status: number, raw: string, headers: Readonly<Record<string, string | string[] | undefined>>): string;
}

/**
 * Headers that need a round trip to obtain (vertex: an OAuth access token), fetched before
 * each call and merged over `call.headers`. Cached by the provider; throws a GatewayError
 * (AE_UPSTREAM_UNAVAILABLE) when they cannot be had.
 */
export interface AuthStep {
  (model: LlmModelSpec, signal: AbortSignal): Promise<Readonly<Record<string, string>>>;
  /** The upstream refused what the step gave (a 401): anything cached is dropped, so the next call fetches anew. */
  readonly rejected?: (model: LlmModelSpec) => void;
}

export interface ChatProvider {
  readonly auth?: AuthStep;
  /**
   * The wait (ms) a retryable error answer (429, 5xx) asks for in its body, for providers
   * that say it there rather than in retry-after (Google's RetryInfo); null when it asks for
   * none. Read only when the answer has no retry-after header; the backend then sends the
   * client a retry-after header with it.
   */
  readonly retryAfterFromError?: (raw: string) => number | null;
  /**
   * Translates an OpenAI chat request. Throws a GatewayError (400 naming the field) for a
   * feature the provider cannot express.
   */
  chat(body: Record<string, unknown>, model: LlmModelSpec, includeUsage: boolean): ChatTranslation;
}

/**
 * A provider that speaks the Anthropic Messages API itself (anthropic; vertex for Claude
 * models): the Anthropic front passes bodies through with only the model (and what the
 * provider needs) changed. null: this model does not speak it; the front translates.
 */
export interface MessagesProvider {
  readonly auth?: AuthStep;
  messages(body: Record<string, unknown>, model: LlmModelSpec, opts: MessagesCallOptions): UpstreamCall | null;
}

export interface MessagesCallOptions {
  readonly countTokens: boolean;
  readonly stream: boolean;
  /** The client's anthropic-version header, if it sent one (it is passed on). */
  readonly clientVersion: string | undefined;
  /** The client's query string, "" or starting with "?". */
  readonly query: string;
}
