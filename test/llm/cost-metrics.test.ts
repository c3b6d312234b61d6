// GatewayMetrics.observeLlm: tokens by kind and cost per backend/model/provider; a call with
// no known price is counted as unpriced instead of adding $0; no usage, nothing counted.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GatewayMetrics } from '../../src/telemetry/metrics.js';
import { newLlmCall } from '../../src/llm/account.js';

test('observeLlm counts tokens by kind, cost, and unpriced calls', async () => {
  const m = new GatewayMetrics();
  const call = { ...newLlmCall('fast', false), provider: 'openai', inputTokens: 2000, outputTokens: 50, cacheReadTokens: 1536, costUsd: 0.0001 };
  m.observeLlm('models', call);
  m.observeLlm('models', call);
  m.observeLlm('models', { ...call, model: 'local', provider: 'openai-compatible', costUsd: null });
  m.observeLlm('models', newLlmCall('fast', false));
  const text = await m.registry.metrics();
  assert.match(text, /agentedge_llm_tokens_total\{backend="models",model="fast",provider="openai",kind="input"\} 4000/);
  assert.match(text, /agentedge_llm_tokens_total\{backend="models",model="fast",provider="openai",kind="cache_read"\} 3072/);
  assert.match(text, /agentedge_llm_tokens_total\{backend="models",model="fast",provider="openai",kind="output"\} 100/);
  assert.match(text, /agentedge_llm_cost_usd_total\{backend="models",model="fast",provider="openai"\} 0\.0002/);
  assert.match(text, /agentedge_llm_unpriced_calls_total\{backend="models",model="local",provider="openai-compatible"\} 1/);
  assert.doesNotMatch(text, /agentedge_llm_unpriced_calls_total\{backend="models",model="fast",provider="openai"\} [1-9]/);
});
