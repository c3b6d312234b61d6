// The cost of an LLM call in USD, from its usage. A model's own `price` (config) wins;
// otherwise its price comes from the bundled table of @pydantic/genai-prices, looked up once
// per model spec by provider and upstream model name and kept as plain rates, so a request
// costs a few multiplications rather than a search of the table. A model neither knows
// has an unknown cost (null), never $0: budgets must not treat "no price" as "free".
//
// How the table prices tokens, which the rates below reproduce: `input_tokens` is all
// input; cache reads and writes are the parts of it priced at their own rates (a part with
// no rate of its own stays at the input rate). A tiered price (e.g. above 200k tokens of
// context) is picked, for every kind of token, by the call's total input tokens. Entries
// with a start date are picked by the time of the call. Anything else (time-of-day prices,
// a price key we do not know) is left to the library's own calcPrice, per call.
import { calcPrice, type ModelInfo, type ModelPrice, type Provider } from '@pydantic/genai-prices';
import type { LlmModelSpec, LlmProvider } from './spec.js';
import type { Usage } from './usage.js';

/** USD per million tokens, flat or tiered by the call's input tokens. */
type Rate = number | { readonly base: number; readonly tiers: readonly { readonly start: number; readonly price: number }[] };

interface Rates {
  readonly input: Rate;
  readonly output: Rate;
  /** null: cache reads/writes cost what other input tokens cost. */
  readonly cacheRead: Rate | null;
  readonly cacheWrite: Rate | null;
  /** A fixed fee per call (the table's requests_kcount), in USD. */
  readonly perCall: number;
  readonly tiered: boolean;
}

type Pricing =
  | { readonly kind: 'rates'; readonly rates: Rates }
  /** The table's entries in its order; `from` in ms since the epoch (-Infinity: no start date). */
  | { readonly kind: 'dated'; readonly entries: readonly { readonly from: number; readonly rates: Rates }[] }
  /** The table's entry, priced by the library on each call. */
  | { readonly kind: 'library'; readonly provider: Provider; readonly modelId: string }
  | { readonly kind: 'unknown' };

const UNKNOWN: Pricing = { kind: 'unknown' };

/** The table's provider for each of ours; openai-compatible has none (who serves it is unknown). */
const TABLE_PROVIDER: Readonly<Record<LlmProvider, string | null>> = {
  openai: 'openai',
  azure: 'azure',
  anthropic: 'anthropic',
  gemini: 'google',
  // The table's "google" provider covers Vertex AI (googleapis.com), Claude models included
  // (publisher anthropic), and falls back to Anthropic's own prices for the ones it lacks.
  vertex: 'google',
  bedrock: 'aws',
  'openai-compatible': null,
};

/**
 * Price keys for usage the gateway never reports (audio, images, video, searches, the 1h
 * cache tier): those parts are zero, so the key does not change the cost.
 */
const UNREPORTED_KEY = /audio|image|video|searches|_1h_|_hours|_kpages|_mchars|_gpixels/;

const pricingByModel = new WeakMap<LlmModelSpec, Pricing>();

/** Cost in USD of a call to `model` with `usage`; null when the model has no known price or nothing was reported. */
export function costUsd(model: LlmModelSpec, usage: Usage): number | null {
  if (usage.inputTokens === null && usage.outputTokens === null) return null;
  let pricing = pricingByModel.get(model);
  if (pricing === undefined) {
    pricing = resolvePricing(model);
    pricingByModel.set(model, pricing);
  }
  switch (pricing.kind) {
    case 'rates': return roundUsd(priced(pricing.rates, usage));
    case 'dated': return roundUsd(priced(datedRates(pricing.entries, Date.now()), usage));
    case 'library': return libraryCost(pricing, usage);
    case 'unknown': return null;
  }
}

function resolvePricing(model: LlmModelSpec): Pricing {
  const p = model.price;
  if (p !== null) {
    return { kind: 'rates', rates: { input: p.input, output: p.output, cacheRead: p.cacheRead, cacheWrite: p.cacheWrite, perCall: 0, tiered: false } };
  }
  const providerId = TABLE_PROVIDER[model.provider];
  if (providerId === null) return UNKNOWN;
  const modelId = tableModelId(model);
  // The library finds the provider and the model (with its own name matching, fallback
  // providers and date-suffix normalisation); zero usage costs nothing to compute.
  let found;
  try {
    found = calcPrice({ input_tokens: 0, output_tokens: 0 }, modelId, { providerId });
  } catch {
    return UNKNOWN;
  }
  if (found === null) return UNKNOWN;
  return pricingOf(found.provider, found.model);
}

/** The name the table knows the model by: Gemini's may carry a `models/` prefix in config. */
function tableModelId(model: LlmModelSpec): string {
  const id = model.upstreamModel;
  return model.provider === 'gemini' && id.startsWith('models/') ? id.slice('models/'.length) : id;
}

function pricingOf(provider: Provider, info: ModelInfo): Pricing {
  const library = (): Pricing => ({
    kind: 'library',
    // A provider with this one model, matched by its exact id: the library's per-call
    // search is then one comparison.
    provider: { id: provider.id, name: provider.name, api_pattern: provider.api_pattern, models: [{ ...info, match: { equals: info.id } }] },
    modelId: info.id,
  });
  if (!Array.isArray(info.prices)) {
    const rates = ratesOf(info.prices);
    return rates === null ? library() : { kind: 'rates', rates };
  }
  const entries: { from: number; rates: Rates }[] = [];
  for (const entry of info.prices) {
    const c = entry.constraint;
    if (c !== undefined && c.type !== 'start_date') return library();
    const rates = ratesOf(entry.prices);
    if (rates === null) return library();
    entries.push({ from: c === undefined ? -Infinity : Date.parse(`${c.start_date}T00:00:00Z`), rates });
  }
  return entries.length === 0 ? UNKNOWN : { kind: 'dated', entries };
}

/** Plain rates from a table price; null when it has a key whose effect we do not reproduce. */
function ratesOf(price: ModelPrice): Rates | null {
  let input: Rate | null = null;
  let output: Rate | null = null;
  let cacheRead: Rate | null = null;
  let cacheWrite: Rate | null = null;
  let perCall = 0;
  for (const key of Object.keys(price)) {
    const v = price[key];
    if (v === undefined) continue;
    if (key === 'requests_kcount') {
      if (typeof v !== 'number') return null;
      perCall = v / 1000;
      continue;
    }
    if (key !== 'input_mtok' && key !== 'output_mtok' && key !== 'cache_read_mtok' && key !== 'cache_write_mtok') {
      if (UNREPORTED_KEY.test(key)) continue;
      return null;
    }
    const rate = rateOf(v);
    if (rate === null) return null;
    if (key === 'input_mtok') input = rate;
    else if (key === 'output_mtok') output = rate;
    else if (key === 'cache_read_mtok') cacheRead = rate;
    else cacheWrite = rate;
  }
  // A model priced by something else than tokens (images, audio seconds) has no token price.
  if (input === null && output === null) return null;
  const tiered = [input, output, cacheRead, cacheWrite].some((r) => r !== null && typeof r === 'object');
  return { input: input ?? 0, output: output ?? 0, cacheRead, cacheWrite, perCall, tiered };
}

/** The table's price value as a Rate, tiers sorted by start (the data does not promise an order); null if malformed. */
function rateOf(v: unknown): Rate | null {
  if (typeof v === 'number') return Number.isFinite(v) && v >= 0 ? v : null;
  if (typeof v !== 'object' || v === null) return null;
  const { base, tiers } = v as { base?: unknown; tiers?: unknown };
  if (typeof base !== 'number' || !Array.isArray(tiers)) return null;
  const sorted: { start: number; price: number }[] = [];
  for (const t of tiers as unknown[]) {
    const { start, price } = (t ?? {}) as { start?: unknown; price?: unknown };
    if (typeof start !== 'number' || typeof price !== 'number') return null;
    sorted.push({ start, price });
  }
  sorted.sort((x, y) => x.start - y.start);
  return { base, tiers: sorted };
}

/** The entry in force at `now`, chosen as the library does: the last one that has started. */
function datedRates(entries: readonly { readonly from: number; readonly rates: Rates }[], now: number): Rates {
  for (let i = entries.length - 1; i >= 0; i--) if (now >= entries[i]!.from) return entries[i]!.rates;
  return entries[0]!.rates;
}

/** USD per million for `rate` at a call with `input` tokens of input (the table picks tiers by it). */
function perMillion(rate: Rate, input: number): number {
  if (typeof rate === 'number') return rate;
  let price = rate.base;
  for (const t of rate.tiers) if (input > t.start) price = t.price;
  return price;
}

function priced(r: Rates, usage: Usage): number {
  const input = usage.inputTokens ?? 0;
  const output = usage.outputTokens ?? 0;
  const read = usage.cacheReadTokens ?? 0;
  const write = usage.cacheWriteTokens ?? 0;
  const tierBy = r.tiered ? input : 0;
  let plain = input;
  let usd = r.perCall * 1e6;
  if (r.cacheRead !== null) { plain -= read; usd += read * perMillion(r.cacheRead, tierBy); }
  if (r.cacheWrite !== null) { plain -= write; usd += write * perMillion(r.cacheWrite, tierBy); }
  // Cache parts larger than the total (a confused upstream) never make the rest negative.
  if (plain < 0) plain = 0;
  usd += plain * perMillion(r.input, tierBy) + output * perMillion(r.output, tierBy);
  return usd / 1e6;
}

function libraryCost(p: { provider: Provider; modelId: string }, usage: Usage): number | null {
  const input = usage.inputTokens ?? 0;
  const read = Math.min(usage.cacheReadTokens ?? 0, input);
  const write = Math.min(usage.cacheWriteTokens ?? 0, input - read);
  try {
    const r = calcPrice({ input_tokens: input, output_tokens: usage.outputTokens ?? 0, cache_read_tokens: read, cache_write_tokens: write }, p.modelId, { provider: p.provider });
    return r === null ? null : roundUsd(r.total_price);
  } catch {
    return null;
  }
}

/**
 * Rounded to 1e-12 USD: floating-point noise (0.14250000000000002) stays out of logs and
 * budgets, while the cost of a single cheap token (~1e-9) keeps its digits.
 */
function roundUsd(usd: number): number {
  return Math.round(usd * 1e12) / 1e12;
}
