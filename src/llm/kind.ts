// The llm backend kind: `backends.<name>.llm` in the config. Its schema fragment, its
// checks and compiler (config-schema.ts, config-check.ts, config-compile.ts), its load
// warning, and the handler factory; gateway/kinds.ts registers it.
import type { BackendKind } from '../core/index.js';
import type { LlmBackendSpec } from './spec.js';
import { LlmBackend } from './backend.js';
import { llmBackendIssues } from './config-check.js';
import { compileLlmBackend } from './config-compile.js';
import { LlmBackend as LlmBackendSchema, type LlmBackendConfig } from './config-schema.js';
import { costUsd } from './cost.js';

const ANY_USAGE = { inputTokens: 1_000_000, outputTokens: 1_000_000, cacheReadTokens: null, cacheWriteTokens: null };

export const llmKind: BackendKind<LlmBackendConfig, LlmBackendSpec> = {
  key: 'llm',
  schema: LlmBackendSchema,
  compile: compileLlmBackend,
  semanticIssues: llmBackendIssues,
  /**
   * Budgets that cannot charge some of the route's models: a model with no `price` and
   * none in the bundled table passes a budget uncharged.
   */
  warnings(spec, { route, policies }) {
    const budgets = policies.filter((p) => p.kind === 'budget').map((p) => p.name);
    if (budgets.length === 0) return [];
    const unpriced = spec.models.filter((m) => costUsd(m, ANY_USAGE) === null).map((m) => m.name);
    if (unpriced.length === 0) return [];
    const [s, them, their] = unpriced.length > 1 ? ['s', 'them', 'their'] : ['', 'it', 'its'];
    return [`route ${route.name}: budget ${budgets.join(', ')} cannot charge model${s} ${unpriced.join(', ')} `
      + `(no price known): give ${them} a price, or ${their} calls pass the budget uncharged`];
  },
  create: (spec, deps) => new LlmBackend(spec, deps.observer, deps.secrets, deps.upstreams),
};

// Registers the spec type under the kind's key: a spec narrows on `kind === 'llm'`.
declare module '../config/model.js' {
  interface BackendSpecs { llm: LlmBackendSpec }
}
