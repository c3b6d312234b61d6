// The call gate: the one place a protocol handler hands a call to the route's policies,
// once it knows *what* is called — an LLM model, an MCP tool / prompt / resource, an A2A
// agent and method. The handler declares its protocol (BackendHandler.protocol: the name of
// the CEL variable its calls fill, `llm`, `mcp`, `a2a`); the route's policies build a gate
// for that protocol (policy/runtime.ts) and the pipeline puts it on the context. The gate
// runs the protocol phase's CEL rules, charges what the call meters (tokens and USD for a
// model call; a tool or agent call is the one request the request phase already counted)
// and answers "may this caller see it" for listings (`/models`, `tools/list`, the agent
// registry). Core knows no protocol: a call is a subject (what the protocol's CEL variable
// holds) and, for metered calls, a usage meter.
import type { GatewayError } from './errors.js';
import type { RequestContext } from './context.js';

/**
 * What a call costs in tokens and USD, for token rate limits and budgets. A model call has
 * one; a call metered as one request (a tool or agent call) has none.
 */
export interface UsageMeter {
  /** The concrete target the call goes to first (a budget names it when it has no price). */
  readonly target: string;
  /** False for calls that cost nothing (count_tokens): token limits and budgets leave them alone. */
  readonly billable: boolean;
  /** Input tokens of the request, estimated (computed on first use). */
  inputTokens(): number;
  /** The most output tokens the request allows (max_tokens and kin), or null when it sets none. */
  readonly maxOutputTokens: number | null;
  /** The cost of a call of this size on the target, in USD; null when it has no known price. */
  costUsd(inputTokens: number, outputTokens: number): number | null;
  /** Tokens the call used (input + output), read when the request ends; 0 when none were reported. */
  usedTokens(): number;
  /** USD the call cost, read when the request ends; null while unknown (no usage, or no price). */
  usedUsd(): number | null;
}

/** A call as the handler hands it to the gate. */
export interface GatedCall {
  /**
   * The value of the protocol's CEL variable for this call (for `llm`: model, provider,
   * stream, inputTokens…). Read only when a rule reads it, so a lazy field costs nothing
   * until then.
   */
  readonly subject: object;
  /** Tokens and USD for a metered call; null for a call metered as one request. */
  readonly usage: UsageMeter | null;
}

/**
 * The route's policies of its protocol phase. `admit` throws a GatewayError to refuse;
 * what it reserved is settled when the request ends (ctx.onEnd). `permits` runs only the
 * phase's rules, with no side effects (listings show only what the caller may use).
 */
export interface CallGate {
  admit(ctx: RequestContext, call: GatedCall): void | Promise<void>;
  permits(ctx: RequestContext, subject: object): boolean;
}

/**
 * A request-phase decision that waits for the call gate: with a shared store, a request
 * limit's round trip is sent in the request phase and awaited by the gate together with the
 * gate's own (one round trip before the call). Settled to a value, never rejected, so a
 * request that never reaches its gate leaves no unhandled rejection behind.
 */
export type DeferredDecision = Promise<GatewayError | null>;

/**
 * Settles the request-phase decisions that wait for the call gate, for a request that will
 * not reach one (an MCP list, an initialize): throws the first refusal. Clears them, so a gate
 * the request does reach later does not wait again.
 */
export async function settleDeferred(ctx: RequestContext): Promise<void> {
  const deferred = ctx.deferred;
  if (deferred === null) return;
  ctx.deferred = null;
  for (const err of await Promise.all(deferred)) if (err !== null) throw err;
}
