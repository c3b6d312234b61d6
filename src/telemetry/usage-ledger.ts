// The usage ledger: one record per LLM call in the state store (the admin usage API and
// `agentedge usage` read it), written when the request ends: a subscriber to the request
// observer's `end`, like the access log and the metrics.
import type { RequestContext, RequestObserver } from '../core/index.js';
import type { StateStore, UsageEntry } from '../state/index.js';

export function usageLedgerObserver(state: StateStore): RequestObserver {
  return {
    end(ctx) {
      if (ctx.llm !== null && ctx.backend !== null) state.recordUsage(usageEntry(ctx));
    },
  };
}

/** The ledger's record of an LLM call. */
function usageEntry(ctx: RequestContext): UsageEntry {
  const llm = ctx.llm!;
  const id = ctx.identity;
  const ms = ctx.durationMs();
  return {
    time: Date.now() - Math.round(ms),
    requestId: ctx.id,
    identityKind: id?.kind ?? '',
    identity: id?.name ?? '',
    metadata: id?.metadata ?? {},
    route: ctx.route ?? '',
    model: llm.model,
    target: llm.target,
    provider: llm.provider,
    inputTokens: llm.inputTokens,
    outputTokens: llm.outputTokens,
    costUsd: llm.costUsd,
    status: ctx.finalStatus(),
    latencyMs: Math.round(ms * 1000) / 1000,
    estimated: llm.estimated,
  };
}
