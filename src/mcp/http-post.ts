// The POST half of the Streamable HTTP transport toward an upstream server, on the hot path
// of every call: one undici request through the upstream stack's dispatcher, its answer (one
// JSON message, a batch, or an event stream of messages) handed over as parsed messages. The
// SDK's own transport does the same through WHATWG fetch, re-validates each message with zod
// and keeps per-request state on a session-long AbortSignal: measured in bench/README.md
// ("MCP scenarios"), that was most of the gateway's cost of a call. The SDK transport still
// carries the rest of the session (the standalone GET stream, notifications and answers the
// gateway sends, ending the session), given the session id this side obtained.
import type { Dispatcher } from 'undici';
import { request } from 'undici';
import { parseJson, sseData, sseEvents, SseFramer, UNTRUSTED_JSON } from '../core/index.js';
import { isObject } from './jsonrpc.js';

/** The most an upstream answer may hold (one JSON body, or one event of a stream). */
const MAX_ANSWER_BYTES = 16 * 1024 * 1024;

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
  readonly #url: URL;
  readonly #headers: Readonly<Record<string, string>>;
  readonly #dispatcher: Dispatcher;
  /** Set from the initialize answer; sent with every later request. */
  sessionId: string | null = null;
  /** The negotiated revision; sent as MCP-Protocol-Version once known. */
  protocolVersion: string | null = null;

  constructor(url: string, headers: Readonly<Record<string, string>>, dispatcher: Dispatcher) {
    this.#url = new URL(url);
    this.#headers = headers;
    this.#dispatcher = dispatcher;
  }

  /**
   * POSTs one message (with `extra` headers: a 2026-07-28 request's mirrored ones); every
   * message of the answer goes to `deliver`. Rejects with a PostFailure.
   */
  async post(msg: object, deliver: (m: unknown) => void, signal?: AbortSignal, extra?: Readonly<Record<string, string>>): Promise<void> {
    const headers: Record<string, string> = { ...this.#headers, ...extra, 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
    if (this.sessionId !== null) headers['mcp-session-id'] = this.sessionId;
    if (this.protocolVersion !== null) headers['mcp-protocol-version'] = this.protocolVersion;
    let res: Dispatcher.ResponseData;
    try {
      res = await request(this.#url, { dispatcher: this.#dispatcher, method: 'POST', headers, body: JSON.stringify(msg), ...(signal !== undefined && { signal }) });
    } catch (err) {
      throw new PostFailure(`could not be reached: ${err instanceof Error ? err.message : String(err)}`.slice(0, 300));
    }
    const status = res.statusCode;
    if (status === 202) { await res.body.dump(); return; }
    if (status === 404 && this.sessionId !== null) {
      await res.body.dump();
      throw new PostFailure('the upstream session expired', true);
    }
    const type = String(res.headers['content-type'] ?? '');
    if (status < 200 || status > 299) {
      const text = await readBounded(res.body).catch(() => '');
      // A JSON-RPC error for the request is its answer, whatever the status.
      const parsed = tryParse(text);
      if (isObject(parsed) && parsed.id !== undefined && parsed.id !== null && isObject(parsed.error)) { deliver(parsed); return; }
      throw new PostFailure(`answered HTTP ${status}${text === '' ? '' : `: ${text.slice(0, 200)}`}`);
    }
    const sid = res.headers['mcp-session-id'];
    if (typeof sid === 'string' && this.sessionId === null) this.sessionId = sid;
    if (type.startsWith('text/event-stream')) {
      const framer = new SseFramer(MAX_ANSWER_BYTES);
      try {
        for await (const chunk of res.body) {
          const region = framer.push(chunk as Buffer);
          if (region.length !== 0) for (const ev of sseEvents(region)) deliverText(sseData(ev), deliver);
        }
      } catch (err) {
        throw new PostFailure(`broke off its event stream: ${err instanceof Error ? err.message : String(err)}`.slice(0, 300));
      }
      return;
    }
    deliverText(await readBounded(res.body), deliver);
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

/** A body as text, refusing more than MAX_ANSWER_BYTES (an upstream is untrusted too). */
async function readBounded(body: Dispatcher.ResponseData['body']): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += (chunk as Buffer).length;
    if (size > MAX_ANSWER_BYTES) {
      body.destroy();
      throw new PostFailure(`answered with more than ${MAX_ANSWER_BYTES} bytes`);
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}
