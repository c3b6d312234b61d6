// Bridging a server's own requests (sampling, elicitation, roots) to a 2026-07-28 client,
// which cannot receive requests: the revision's multi-round-trip instead. While a modern
// client's call is in flight, a request the server sends it is held here, and the call is
// answered at once with `resultType: "input_required"`, the held requests as
// `inputRequests` and an opaque `requestState`. The upstream call keeps running. The client
// retries the same call with `inputResponses` and that `requestState`: the held requests are
// answered upstream with them, and the retry waits for what comes next — the call's result,
// or another round of input.
//
// The state is the gateway's own (a server of an older revision knows nothing of it): a
// random token, bound to the identity's session and the server, forgotten after the call
// timeout. It lives in this process: a retry that reaches another replica finds nothing
// and is told so.
import { randomBytes } from 'node:crypto';
import type { Cancel } from './cancel.js';
import { isObject, RPC, RpcError } from './jsonrpc.js';

interface Held {
  readonly method: string;
  readonly params: Record<string, unknown> | undefined;
  readonly resolve: (result: unknown) => void;
  readonly reject: (err: Error) => void;
}

/** What a call is waiting for next. */
export type BridgeStep =
  | { readonly kind: 'result'; readonly value: unknown }
  | { readonly kind: 'input'; readonly result: Record<string, unknown> };

export class InputBridge {
  readonly token = randomBytes(18).toString('base64url');
  readonly owner: string;
  readonly server: string;
  readonly method: string;
  /** The gateway's progress token of the upstream call, while the call lasts (null: none asked for). */
  progress: string | null = null;
  readonly #upstream: Promise<BridgeStep>;
  /** Server requests not yet put to the client. */
  readonly #waiting = new Map<string, Held>();
  /** Put to the client in an input_required; answered by its retry. */
  readonly #asked = new Map<string, Held>();
  #next = 1;
  #wake: (() => void) | null = null;
  #expiry: NodeJS.Timeout | null = null;

  readonly #abort: Cancel;

  /** `abort` cancels the upstream call (it outlives the client's first response). */
  constructor(owner: string, server: string, method: string, upstream: Promise<unknown>, abort: Cancel) {
    this.owner = owner;
    this.server = server;
    this.method = method;
    this.#abort = abort;
    this.#upstream = upstream.then(
      (value) => ({ kind: 'result', value }) as const,
      (err: unknown) => { throw err; },
    );
    // An abandoned call (the client never retries) must not leave an unhandled rejection.
    this.#upstream.catch(() => undefined);
  }

  /** A request of the server during this call: held until the client answers it (or the call is given up). */
  hold(method: string, params: Record<string, unknown> | undefined): Promise<unknown> {
    return new Promise<unknown>((resolve, reject) => {
      this.#waiting.set(`r${this.#next++}`, { method, params, resolve, reject });
      this.#wake?.();
    });
  }

  /** The client's retry: its answers to the requests it was asked. */
  answer(inputResponses: unknown): void {
    const responses = isObject(inputResponses) ? inputResponses : {};
    for (const [key, held] of this.#asked) {
      this.#asked.delete(key);
      if (Object.hasOwn(responses, key)) held.resolve(responses[key]);
      else held.reject(new RpcError(RPC.INVALID_PARAMS, `the client's retry carried no inputResponses["${key}"]`));
    }
  }

  /** Waits for the call's result, or for requests of the server to put to the client. */
  async next(): Promise<BridgeStep> {
    if (this.#waiting.size === 0) {
      const woken = new Promise<BridgeStep | null>((resolve) => { this.#wake = () => { resolve(null); }; });
      const step = await Promise.race([this.#upstream, woken]);
      this.#wake = null;
      if (step !== null) return step;
    }
    const inputRequests: Record<string, { method: string; params?: Record<string, unknown> }> = {};
    for (const [key, held] of this.#waiting) {
      this.#waiting.delete(key);
      this.#asked.set(key, held);
      inputRequests[key] = held.params === undefined ? { method: held.method } : { method: held.method, params: held.params };
    }
    return { kind: 'input', result: { resultType: 'input_required', inputRequests, requestState: this.token } };
  }

  /** Keeps the bridge for the client's retry at most `ms`; `drop` is called when it expires. */
  park(ms: number, drop: () => void): void {
    this.#clearExpiry();
    this.#expiry = setTimeout(() => {
      this.fail(new RpcError(RPC.INTERNAL_ERROR, `the client did not continue the call within ${ms} ms`));
      drop();
    }, ms);
    this.#expiry.unref();
  }

  /** The client retried: the bridge is in use again. */
  resume(): void { this.#clearExpiry(); }

  /** The client gave the call up (closed its response, or never retried): cancelled upstream. */
  cancel(): void {
    this.fail(new RpcError(RPC.INTERNAL_ERROR, 'the client cancelled the call'));
    this.#abort.abort();
  }

  /** Gives up: every held request fails upstream. */
  fail(err: Error): void {
    this.#clearExpiry();
    for (const held of [...this.#waiting.values(), ...this.#asked.values()]) held.reject(err);
    this.#waiting.clear();
    this.#asked.clear();
  }

  #clearExpiry(): void {
    if (this.#expiry !== null) { clearTimeout(this.#expiry); this.#expiry = null; }
  }
}
