// The request and LLM counters are kept in plain numbers and handed to prom-client when
// scraped: the text (with the duration histogram beside them) must be the one prom-client
// gives when every update goes straight to it (same series, values, order), and
// prom-client's refusals must stay.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Counter, Histogram, Registry } from 'prom-client';
import { GatewayMetrics } from '../../src/telemetry/metrics.js';
import { newLlmCall } from '../../src/llm/account.js';
import type { LlmCall } from '../../src/core/index.js';

/** What GatewayMetrics exported before: every update a prom-client call (its in-flight gauge and reload metrics left out). */
function reference(): { registry: Registry; request(l: string, r: string, s: number, sec: number): void; llm(b: string, c: LlmCall): void } {
  const registry = new Registry();
  const g = new GatewayMetrics();
  const like = (name: string, m: { help: string; labelNames: readonly string[] }) => ({ name, help: m.help, labelNames: m.labelNames, registers: [registry] });
  const get = (m: unknown) => m as { help: string; labelNames: readonly string[] };
  const requests = new Counter(like('agentedge_requests_total', get(g.requests)));
  const duration = new Histogram({ ...like('agentedge_request_duration_seconds', get(g.duration)), buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120] });
  const tokens = new Counter(like('agentedge_llm_tokens_total', get(g.llmTokens)));
  const cost = new Counter(like('agentedge_llm_cost_usd_total', get(g.llmCost)));
  const unpriced = new Counter(like('agentedge_llm_unpriced_calls_total', get(g.llmUnpriced)));
  return {
    registry,
    request(l, r, s, sec) {
      requests.labels(l, r, String(s)).inc();
      duration.labels(l, r).observe(sec);
    },
    llm(b, c) {
      if (c.inputTokens === null && c.outputTokens === null) return;
      const t = (kind: string) => tokens.labels(b, c.model, c.provider, kind);
      if (c.inputTokens) t('input').inc(c.inputTokens);
      if (c.outputTokens) t('output').inc(c.outputTokens);
      if (c.cacheReadTokens) t('cache_read').inc(c.cacheReadTokens);
      if (c.cacheWriteTokens) t('cache_write').inc(c.cacheWriteTokens);
      if (c.costUsd === null) unpriced.labels(b, c.model, c.provider).inc();
      else if (c.costUsd > 0) cost.labels(b, c.model, c.provider).inc(c.costUsd);
    },
  };
}

/** The families the reference has, cut out of a full scrape. */
function families(text: string, names: readonly string[]): string {
  return text.split('\n\n').filter((block) => names.some((n) => block.includes(`# TYPE ${n} `))).join('\n\n').trim();
}

const NAMES = ['agentedge_requests_total', 'agentedge_request_duration_seconds', 'agentedge_llm_tokens_total', 'agentedge_llm_cost_usd_total', 'agentedge_llm_unpriced_calls_total'];

test('counters counted in numbers scrape exactly as prom-client counts them', async () => {
  const m = new GatewayMetrics();
  const ref = reference();
  let seed = 7;
  const rnd = (): number => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed / 2147483648; };
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  for (let i = 0; i < 3000; i++) {
    // Now and then a duration past the last bucket (120 s): it counts in +Inf only.
    const seconds = rnd() < 0.02 ? 120 + rnd() * 60 : rnd() * 3;
    const args = [pick(['edge', 'inner']), pick(['api', '-', 'chat']), pick([200, 404, 429, 499, 502]), seconds] as const;
    m.observeRequest(...args);
    ref.request(...args);
    const call: LlmCall = {
      ...newLlmCall(pick(['fast', 'slow']), false), provider: pick(['openai', 'anthropic']),
      inputTokens: pick([null, 0, 12, 1000]), outputTokens: pick([null, 0, 5]), cacheReadTokens: pick([null, 0, 3]),
      cacheWriteTokens: pick([null, 7]), costUsd: pick([null, 0, 0.0001, 1e-7, 0.3]),
    };
    const backend = pick(['models', 'other']);
    m.observeLlm(backend, call);
    ref.llm(backend, call);
    // Scraping in between publishes the counts so far, and counting goes on from them.
    if (i % 1000 === 999) assert.equal(families(await m.registry.metrics(), NAMES), (await ref.registry.metrics()).trim());
  }
  assert.equal(families(await m.registry.metrics(), NAMES), (await ref.registry.metrics()).trim());
});

test('a negative or infinite token count is refused as prom-client refuses it', () => {
  const m = new GatewayMetrics();
  const call = { ...newLlmCall('m', false), provider: 'openai' };
  assert.throws(() => { m.observeLlm('b', { ...call, inputTokens: -1 }); }, /not possible to decrease a counter/);
  assert.throws(() => { m.observeLlm('b', { ...call, outputTokens: Infinity }); }, /Value is not a valid number: Infinity/);
});

test('a duration that is not a finite number is refused as prom-client refuses it', () => {
  const m = new GatewayMetrics();
  assert.throws(() => { m.observeRequest('l', 'r', 200, NaN); }, /Value is not a valid number: NaN/);
  assert.throws(() => { m.observeRequest('l', 'r', 200, Infinity); }, /Value is not a valid number: Infinity/);
});
