// costUsd against the bundled price table: for every model of the providers we map, the
// memoised plain rates give what the library's own calcPrice gives for the same tokens
// (tiers and cache rates included); unknown models and openai-compatible are null, not 0.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { calcPrice, findProvider } from '@pydantic/genai-prices';
import { LLM_LIMIT_DEFAULTS, type LlmModelSpec, type LlmProvider } from '../../src/llm/spec.js';
import { costUsd } from '../../src/llm/cost.js';
import type { Usage } from '../../src/llm/usage.js';

export function modelSpec(provider: LlmProvider, upstreamModel: string, extra: Partial<LlmModelSpec> = {}): LlmModelSpec {
  return {
    name: upstreamModel, provider, upstreamModel, origin: 'http://127.0.0.1:1', basePath: '', host: '127.0.0.1:1',
    apiKey: null, headers: {}, timeoutMs: 1000, passthrough: false, retries: 0, retryBackoffMs: 0, maxRetryWaitMs: 0, price: null, limits: LLM_LIMIT_DEFAULTS,
    ...extra,
  };
}

const usage = (inputTokens: number, outputTokens: number, cacheReadTokens: number | null = null, cacheWriteTokens: number | null = null): Usage =>
  ({ inputTokens, outputTokens, cacheReadTokens, cacheWriteTokens });

/** The library's price for the same tokens (null when it has none). */
function library(providerId: string, model: string, u: Usage): number | null {
  const r = calcPrice({
    input_tokens: u.inputTokens ?? 0, output_tokens: u.outputTokens ?? 0,
    cache_read_tokens: u.cacheReadTokens ?? 0, cache_write_tokens: u.cacheWriteTokens ?? 0,
  }, model, { providerId });
  return r === null ? null : r.total_price;
}

function close(actual: number | null, expected: number, what: string): void {
  assert.notEqual(actual, null, `${what}: no price`);
  assert.ok(Math.abs(actual! - expected) <= 1e-11 + Math.abs(expected) * 1e-12, `${what}: ${actual} != ${expected}`);
}

test('gpt-4o-mini (openai) costs what the table says, cached tokens at the cache rate', () => {
  const m = modelSpec('openai', 'gpt-4o-mini');
  const u = usage(1_000, 200, 400);
  const expected = library('openai', 'gpt-4o-mini', u)!;
  assert.ok(expected > 0);
  close(costUsd(m, u), expected, 'gpt-4o-mini');
  // 600 uncached at $0.15/M, 400 cached at $0.075/M, 200 out at $0.60/M.
  close(costUsd(m, u), (600 * 0.15 + 400 * 0.075 + 200 * 0.6) / 1e6, 'gpt-4o-mini by hand');
  // The same spec object again: the memoised pricing gives the same answer.
  close(costUsd(m, u), expected, 'gpt-4o-mini again');
});

test('claude (anthropic) prices cache writes and reads at their own rates, and tiers by total input', () => {
  const m = modelSpec('anthropic', 'claude-sonnet-4-5');
  for (const u of [usage(28, 9, 5, 3), usage(250_000, 1_000, 100_000, 20_000)]) {
    const expected = library('anthropic', 'claude-sonnet-4-5', u)!;
    assert.ok(expected > 0);
    close(costUsd(m, u), expected, `claude-sonnet-4-5 ${u.inputTokens}`);
  }
  // Above 200k input tokens every kind of token moves to the higher tier.
  const big = costUsd(m, usage(200_001, 1_000_000))!;
  close(big, (200_001 * 6 + 1_000_000 * 22.5) / 1e6, 'tier 2');
});

test('vertex, gemini, bedrock and azure models are found under the table provider they map to', () => {
  const cases: [LlmProvider, string, string, string][] = [
    ['gemini', 'models/gemini-2.5-flash', 'google', 'gemini-2.5-flash'],
    ['gemini', 'gemini-2.5-pro', 'google', 'gemini-2.5-pro'],
    ['vertex', 'gemini-2.5-flash', 'google', 'gemini-2.5-flash'],
    ['vertex', 'claude-sonnet-4-5@20250929', 'google', 'claude-sonnet-4-5@20250929'],
    ['bedrock', 'anthropic.claude-3-5-sonnet-20240620-v1:0', 'aws', 'anthropic.claude-3-5-sonnet-20240620-v1:0'],
    ['bedrock', 'us.amazon.nova-pro-v1:0', 'aws', 'us.amazon.nova-pro-v1:0'],
    ['azure', 'gpt-4o-mini', 'azure', 'gpt-4o-mini'],
  ];
  for (const [provider, upstream, tableProvider, tableModel] of cases) {
    const u = usage(300_000, 2_000, 1_000);
    close(costUsd(modelSpec(provider, upstream), u), library(tableProvider, tableModel, u)!, `${provider} ${upstream}`);
  }
});

test('an unknown model, and any openai-compatible model without a price, cost null (not 0)', () => {
  assert.equal(costUsd(modelSpec('openai', 'no-such-model-xyz'), usage(10, 10)), null);
  assert.equal(costUsd(modelSpec('anthropic', 'claude-imaginary-9'), usage(10, 10)), null);
  // Even when the name is one the table knows: who serves an openai-compatible model is unknown.
  assert.equal(costUsd(modelSpec('openai-compatible', 'gpt-4o-mini'), usage(10, 10)), null);
});

test('no usage reported: cost null even for a priced model', () => {
  assert.equal(costUsd(modelSpec('openai', 'gpt-4o-mini'), { inputTokens: null, outputTokens: null, cacheReadTokens: null, cacheWriteTokens: null }), null);
});

test('a price override wins over the table, cache parts at their override rates', () => {
  const price = { input: 2, output: 8, cacheRead: 0.5, cacheWrite: 2.5 };
  const m = modelSpec('openai', 'gpt-4o-mini', { price });
  close(costUsd(m, usage(1_000, 100, 300, 200)), (500 * 2 + 300 * 0.5 + 200 * 2.5 + 100 * 8) / 1e6, 'override');
  const local = modelSpec('openai-compatible', 'llama-3', { price });
  close(costUsd(local, usage(1_000_000, 0)), 2, 'openai-compatible with a price');
  // Nothing reported about the cache: all input at the input rate.
  close(costUsd(local, usage(1_000, 1_000)), (1_000 * 2 + 1_000 * 8) / 1e6, 'no cache figures');
});

test('cache parts larger than the input (a confused upstream) never give a negative cost', () => {
  const m = modelSpec('openai', 'x', { price: { input: 1, output: 1, cacheRead: 0.1, cacheWrite: 1 } });
  const c = costUsd(m, usage(10, 0, 50, 0))!;
  assert.ok(c >= 0);
});

test('every token-priced model of the mapped providers matches the library, for any usage', () => {
  const models: [LlmProvider, string, string][] = [];
  const ours: Record<string, LlmProvider> = { openai: 'openai', azure: 'azure', anthropic: 'anthropic', google: 'gemini', aws: 'bedrock' };
  for (const [tableId, provider] of Object.entries(ours)) {
    for (const m of findProvider({ providerId: tableId })!.models) models.push([provider, tableId, m.id]);
  }
  const specs = new Map(models.map(([p, , id]) => [`${p}/${id}`, modelSpec(p, id)]));
  let compared = 0;
  fc.assert(fc.property(
    fc.constantFrom(...models),
    fc.nat({ max: 1_500_000 }), fc.nat({ max: 100_000 }), fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true }),
    ([provider, tableId, id], input, output, readShare, writeShare) => {
      const read = Math.floor(input * readShare);
      const write = Math.floor((input - read) * writeShare);
      const u = usage(input, output, read, write);
      let expected: number | null;
      try {
        expected = library(tableId, id, u);
      } catch {
        return; // The library refuses some models' usage shapes; nothing to compare.
      }
      if (expected === null) return;
      compared++;
      close(costUsd(specs.get(`${provider}/${id}`)!, u), expected, `${tableId}/${id} ${JSON.stringify(u)}`);
    },
  ), { numRuns: 3000 });
  assert.ok(compared > 1000, `compared ${compared}`);
});
