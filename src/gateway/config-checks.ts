// Checks of a valid config that find something that works but is probably not meant:
// said when the config is loaded (serve, reload, validate) instead of at the first call.
import type { RuntimeConfig } from '../config/index.js';
import { costUsd } from '../llm/cost.js';

const ANY_USAGE = { inputTokens: 1_000_000, outputTokens: 1_000_000, cacheReadTokens: null, cacheWriteTokens: null };

/**
 * Budgets that cannot charge some of their route's models: a model with no `price` and none
 * in the bundled table passes a budget uncharged.
 */
export function configWarnings(config: RuntimeConfig): string[] {
  const out: string[] = [];
  for (const listener of config.listeners) {
    for (const route of listener.routes) {
      const budgets = route.policies.filter((p) => config.policies.get(p)?.kind === 'budget');
      const backend = config.backends.get(route.backend);
      if (budgets.length === 0 || backend?.kind !== 'llm') continue;
      const unpriced = backend.models.filter((m) => costUsd(m, ANY_USAGE) === null).map((m) => m.name);
      if (unpriced.length === 0) continue;
      const [s, them, their] = unpriced.length > 1 ? ['s', 'them', 'their'] : ['', 'it', 'its'];
      out.push(`route ${route.name}: budget ${budgets.join(', ')} cannot charge model${s} ${unpriced.join(', ')} `
        + `(no price known): give ${them} a price, or ${their} calls pass the budget uncharged`);
    }
  }
  return out;
}
