// The record of one MCP call (a tools/call, prompts/get or resources/read) for the usage
// ledger and whoever else listens to the observer's `callEnd`: core's protocol-neutral
// ProtocolCall, begun once the federation knows the server and name, ended refused when
// the call gate says no, else ok or error when the server's answer (or failure) is known.
import { beginCall, endCall, GatewayError, type ProtocolCall, type RequestContext } from '../core/index.js';
import type { Cancel } from './cancel.js';
import { isObject } from './jsonrpc.js';

export class CallRecord {
  readonly #ctx: RequestContext;
  readonly #cancel: Cancel;
  readonly call: ProtocolCall;

  /**
   * `called`: the name or URI as the client sent it (`<server>__<name>`, or the server's own
   * with `namespace: false`); `name`: as the server knows it (tool, prompt, resource URI).
   */
  constructor(ctx: RequestContext, cancel: Cancel, method: string, called: string, server: string, name: string) {
    this.#ctx = ctx;
    this.#cancel = cancel;
    this.call = beginCall(ctx, 'mcp', method, called, server, name);
  }

  /**
   * Awaits the call gate (or the tool's pin check): a refusal ends the call as refused (the
   * server never sees it), with the status of the gate's error, else `status`.
   */
  async admitted(gate: Promise<void>, status = 500): Promise<void> {
    try {
      await gate;
    } catch (err) {
      endCall(this.#ctx, this.call, 'refused', err instanceof GatewayError ? err.status : status);
      throw err;
    }
  }

  /** Awaits the server's answer: ok (error for a tool result with isError), or error when it failed. */
  async answered<T>(answer: Promise<T>): Promise<T> {
    let result: T;
    try {
      result = await answer;
    } catch (err) {
      const status = this.#cancel.aborted ? 499 : err instanceof GatewayError ? err.status : 502;
      endCall(this.#ctx, this.call, 'error', status);
      throw err;
    }
    // A round that asks the client for input is not the call's end: the retry that continues
    // it records the outcome (one ledger entry per call, however many rounds).
    if (isObject(result) && result.resultType === 'input_required') return result;
    endCall(this.#ctx, this.call, isObject(result) && result.isError === true ? 'error' : 'ok', 200);
    return result;
  }
}
