// Small pieces both stores share: money as integer micro-dollars, and the usage query limits.

/** USD → integer micro-dollars, so budget arithmetic is exact (0.1 + 0.2 is 300000). */
export function toMicros(usd: number): number {
  return Math.round(usd * 1_000_000);
}

export function fromMicros(micros: number): number {
  return micros / 1_000_000;
}

export const DEFAULT_USAGE_LIMIT = 1000;
export const MAX_USAGE_LIMIT = 10_000;

/** The number of entries a query without groupBy answers: the default, capped at the maximum. */
export function usageLimit(limit: number | undefined): number {
  if (limit === undefined || !Number.isFinite(limit)) return DEFAULT_USAGE_LIMIT;
  return Math.max(1, Math.min(MAX_USAGE_LIMIT, Math.floor(limit)));
}

/** Start of the fixed window holding `now`, aligned to the epoch so every replica agrees. */
export function windowStartOf(now: number, windowMs: number): number {
  return Math.floor(now / windowMs) * windowMs;
}

/**
 * The ledger's fields of a call of another protocol than llm (method, outcome), from their
 * columns: absent for an LLM call (both NULL), so its entries read back as they were written.
 */
export function callFields(method: string | null, outcome: string | null): { method?: string; outcome?: 'ok' | 'error' | 'refused' } {
  const out: { method?: string; outcome?: 'ok' | 'error' | 'refused' } = {};
  if (method !== null) out.method = method;
  if (outcome === 'ok' || outcome === 'error' || outcome === 'refused') out.outcome = outcome;
  return out;
}
