// ModelRouter and the retry helpers, unit-level: plans, weighted order, cool-down, retry-after parsing and backoff.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { LLM_LIMIT_DEFAULTS, type LlmBackendSpec, type LlmModelSpec } from '../../src/llm/spec.js';
import { backoffMs, ModelRouter, retryAfterFromHeaders, retryAfterMs } from '../../src/llm/router.js';

function model(name: string): LlmModelSpec {
  return {
    name, provider: 'openai', upstreamModel: name, origin: 'http://127.0.0.1:1', basePath: '/v1', host: '127.0.0.1:1', apiKey: null, headers: {},
    timeoutMs: 1000, passthrough: false, retries: 0, retryBackoffMs: 100, maxRetryWaitMs: 1000, price: null, limits: LLM_LIMIT_DEFAULTS,
  };
}

function spec(weights: Record<string, number>, failures = 2): LlmBackendSpec {
  const names = Object.keys(weights);
  return {
    kind: 'llm', name: 'b', key: '', models: names.map(model),
    virtualModels: [
      { name: 'fo', strategy: 'failover', targets: names.map((n) => ({ model: n, weight: 1 })) },
      { name: 'lb', strategy: 'loadBalance', targets: names.map((n) => ({ model: n, weight: weights[n]! })) },
    ],
    cooldown: { failures, durationMs: 1000 },
    limits: LLM_LIMIT_DEFAULTS,
  };
}

const names = (ms: LlmModelSpec[] | undefined) => ms?.map((m) => m.name);

test('plans: concrete → itself; failover → in order; unknown → undefined', () => {
  const r = new ModelRouter(spec({ a: 1, b: 1, c: 1 }));
  assert.deepEqual(names(r.plan('b')), ['b']);
  assert.deepEqual(names(r.plan('fo')), ['a', 'b', 'c']);
  assert.equal(r.plan('nope'), undefined);
});

test('loadBalance: every target once, weight-0 targets last, draws follow the weights', () => {
  let x = 0;
  // Each plan draws once per pick: two picks among the weighted targets.
  const seq = [0.0, 0.0, 0.99, 0.0];
  const r = new ModelRouter(spec({ a: 3, b: 1, z: 0 }), Date.now, () => seq[x++ % seq.length]!);
  // r=0 picks a (first 3 of 4); then only b is left with weight>0.
  assert.deepEqual(names(r.plan('lb')), ['a', 'b', 'z']);
  // r=0.99*4 lands in b's share; then a.
  assert.deepEqual(names(r.plan('lb')), ['b', 'a', 'z']);
  fc.assert(fc.property(fc.double({ min: 0, max: 0.999999, noNaN: true }), (v) => {
    const p = names(new ModelRouter(spec({ a: 3, b: 1, z: 0 }), Date.now, () => v).plan('lb'))!;
    return p.length === 3 && new Set(p).size === 3 && p[2] === 'z' && p[0] === (v * 4 < 3 ? 'a' : 'b');
  }));
});

test('cool-down: after `failures` in a row a model goes last until the period ends; a success resets', () => {
  let now = 1_000_000;
  const s = spec({ a: 1, b: 1 });
  const r = new ModelRouter(s, () => now);
  const a = s.models[0]!;
  r.failed(a, null);
  assert.deepEqual(names(r.plan('fo')), ['a', 'b'], 'one failure is not enough');
  r.succeeded(a);
  r.failed(a, null);
  assert.deepEqual(names(r.plan('fo')), ['a', 'b'], 'the success reset the count');
  r.failed(a, null);
  assert.deepEqual(names(r.plan('fo')), ['b', 'a']);
  assert.equal(r.coolingDown('a'), true);
  now += 1001;
  assert.deepEqual(names(r.plan('fo')), ['a', 'b']);
});

test('cool-down: a retry-after takes a model out that long, at most 10 periods', () => {
  let now = 0;
  const s = spec({ a: 1, b: 1 }, 100);
  const r = new ModelRouter(s, () => now);
  r.failed(s.models[0]!, 5000);
  assert.equal(r.coolingDown('a'), true);
  now = 4999;
  assert.equal(r.coolingDown('a'), true);
  now = 5001;
  assert.equal(r.coolingDown('a'), false);
  r.failed(s.models[0]!, 3_600_000);
  now += 10_001;
  assert.equal(r.coolingDown('a'), false, 'capped at 10 × 1000 ms');
});

test('retry-after: seconds, HTTP dates, retry-after-ms; junk is ignored', () => {
  assert.equal(retryAfterMs('7'), 7000);
  assert.equal(retryAfterMs('1.5'), 1500);
  assert.equal(retryAfterMs(undefined), null);
  assert.equal(retryAfterMs('soon'), null);
  const now = Date.parse('2026-01-01T00:00:00Z');
  assert.equal(retryAfterMs('Thu, 01 Jan 2026 00:00:30 GMT', now), 30_000);
  assert.equal(retryAfterFromHeaders({ 'retry-after-ms': '250', 'retry-after': '9' }), 250);
  assert.equal(retryAfterFromHeaders({ 'retry-after': '9' }), 9000);
});

test('backoff: doubles per attempt with jitter in [cap/2, cap], at least retry-after, at most maxRetryWait', () => {
  const m = model('a');
  fc.assert(fc.property(fc.integer({ min: 1, max: 6 }), fc.double({ min: 0, max: 1, noNaN: true }), (n, r) => {
    const cap = 100 * 2 ** (n - 1);
    const b = backoffMs(m, n, null, () => r);
    return b >= Math.min(cap / 2, 1000) && b <= Math.min(cap, 1000);
  }));
  assert.equal(backoffMs(m, 1, 700, () => 0), 700);
  assert.equal(backoffMs(m, 1, 5000, () => 0), 1000);
});
