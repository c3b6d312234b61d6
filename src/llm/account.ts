// Usage and cost land on the request context (ctx.llm) as they become known, for the access
// log, metrics and (issue 4) budgets.
import type { LlmModelSpec } from './spec.js';
import type { LlmCall, RequestContext } from '../core/index.js';
import { costUsd } from './cost.js';
import type { Usage } from './usage.js';

/** A fresh record of an LLM call to `requested`, before any target was tried. */
export function newLlmCall(requested: string, stream: boolean): LlmCall {
  return {
    model: requested, target: requested, provider: '', stream, attempts: 0,
    inputTokens: null, outputTokens: null, cacheReadTokens: null, cacheWriteTokens: null, costUsd: null, estimated: false,
  };
}

/**
 * Records the usage reported for a call served by `model` (null: nothing reported yet), and
 * its cost (null when the model has no known price). Called as often as usage grows during a
 * stream; each call replaces the previous figures, and clears an earlier estimate.
 */
export function account(ctx: RequestContext, model: LlmModelSpec, usage: Usage | null): void {
  const llm = ctx.llm;
  if (llm === null || usage === null) return;
  record(llm, model, usage);
  llm.estimated = false;
}

/**
 * Records usage the gateway estimated (estimate.ts), because the stream ended before the
 * provider reported any: the access log marks it, and budgets settle on it.
 */
export function accountEstimate(ctx: RequestContext, model: LlmModelSpec, usage: Usage): void {
  const llm = ctx.llm;
  if (llm === null) return;
  record(llm, model, usage);
  llm.estimated = true;
}

function record(llm: LlmCall, model: LlmModelSpec, usage: Usage): void {
  llm.inputTokens = usage.inputTokens;
  llm.outputTokens = usage.outputTokens;
  llm.cacheReadTokens = usage.cacheReadTokens;
  llm.cacheWriteTokens = usage.cacheWriteTokens;
  llm.costUsd = costUsd(model, usage);
}
