// The usage ledger: one record per call in the state store (the admin usage API and
// `agentedge usage` read it). An LLM call is written when its request ends (a subscriber to
// the request observer's `end`, like the access log and the metrics); a call of another
// protocol (an MCP tools/call, prompts/get, resources/read: core's ProtocolCall) when the
// call ends (`callEnd`), so each call of a batch is its own record, and a call answered on
// another stream than its request's (legacy SSE) is recorded with its real outcome.
import type { ProtocolCall, RequestContext, RequestObserver } from '../core/index.js';
import type { StateStore, UsageEntry } from '../state/index.js';

export function usageLedgerObserver(state: StateStore): RequestObserver {
  return {
    end(ctx) {
      if (ctx.llm !== null && ctx.backend !== null) state.recordUsage(usageEntry(ctx));
    },
    callEnd(ctx, call) {
      state.recordUsage(callEntry(ctx, call));
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

/**
 * The ledger's record of a call of another protocol: what the client called (`model`, e.g.
 * `<server>__<tool>`), where it went (`target`: the server), the protocol as `provider`; no
 * tokens and no cost. Its latency is the call's own, from the call gate to the answer.
 */
function callEntry(ctx: RequestContext, call: ProtocolCall): UsageEntry {
  const id = ctx.identity;
  return {
    time: call.startedAtMs,
    requestId: ctx.id,
    identityKind: id?.kind ?? '',
    identity: id?.name ?? '',
    metadata: id?.metadata ?? {},
    route: ctx.route ?? '',
    model: call.called,
    target: call.target,
    provider: call.protocol,
    inputTokens: null,
    outputTokens: null,
    costUsd: null,
    status: call.status,
    latencyMs: Math.round((call.endedAt - call.startedAt) * 1000) / 1000,
    estimated: false,
    method: call.method,
    outcome: call.outcome ?? 'error',
  };
}
