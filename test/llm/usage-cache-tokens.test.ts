// Cache reads and writes are read from every provider's usage: OpenAI's
// prompt_tokens_details.cached_tokens (SSE usage chunk and JSON tail), Anthropic's
// cache_read/cache_creation_input_tokens, Bedrock's cacheRead/cacheWriteInputTokens and
// Gemini's cachedContentTokenCount. Input tokens always include the cached ones.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LLM_LIMIT_DEFAULTS } from '../../src/llm/spec.js';
import { anthropicUsage, JsonUsageTail, openAIUsage, OpenAIStreamUsage } from '../../src/llm/usage.js';
import { fromAnthropicJson } from '../../src/llm/providers/anthropic.js';
import { fromConverseJson } from '../../src/llm/providers/bedrock.js';
import { fromGeminiJson } from '../../src/llm/providers/gemini.js';

const OPENAI_USAGE = { prompt_tokens: 1200, completion_tokens: 30, total_tokens: 1230, prompt_tokens_details: { cached_tokens: 1024, audio_tokens: 0 }, completion_tokens_details: { reasoning_tokens: 0 } };

test('openai stream: the usage chunk gives cached tokens as cache reads', () => {
  const f = new OpenAIStreamUsage(true, LLM_LIMIT_DEFAULTS.maxEventBytes);
  f.push(Buffer.from(`data: ${JSON.stringify({ choices: [{ index: 0, delta: { content: 'hi' } }], usage: null })}\n\n`));
  f.push(Buffer.from(`data: ${JSON.stringify({ choices: [], usage: OPENAI_USAGE })}\n\ndata: [DONE]\n\n`));
  assert.deepEqual(f.usage, { inputTokens: 1200, outputTokens: 30, cacheReadTokens: 1024, cacheWriteTokens: null });
});

test('openai JSON: the tail reader finds cached tokens, and leaves them unknown when absent', () => {
  const tail = new JsonUsageTail();
  const body = JSON.stringify({ id: 'x', choices: [{ index: 0, message: { role: 'assistant', content: 'a'.repeat(100_000) } }], usage: OPENAI_USAGE });
  for (let i = 0; i < body.length; i += 7_000) tail.push(Buffer.from(body.slice(i, i + 7_000)));
  assert.deepEqual(tail.usage(), { inputTokens: 1200, outputTokens: 30, cacheReadTokens: 1024, cacheWriteTokens: null });
  const plain = new JsonUsageTail();
  plain.push(Buffer.from(JSON.stringify({ usage: { prompt_tokens: 5, completion_tokens: 2, total_tokens: 7 } })));
  assert.deepEqual(plain.usage(), { inputTokens: 5, outputTokens: 2, cacheReadTokens: null, cacheWriteTokens: null });
});

test('openAIUsage reads an OpenAI usage object', () => {
  assert.deepEqual(openAIUsage(OPENAI_USAGE), { inputTokens: 1200, outputTokens: 30, cacheReadTokens: 1024, cacheWriteTokens: null });
  assert.deepEqual(openAIUsage({ prompt_tokens: 3 }), { inputTokens: 3, outputTokens: null, cacheReadTokens: null, cacheWriteTokens: null });
});

test('anthropicUsage merges message_start and message_delta, input including the cache', () => {
  const start = anthropicUsage(null, { input_tokens: 20, cache_creation_input_tokens: 3, cache_read_input_tokens: 5, output_tokens: 1 });
  assert.deepEqual(start, { inputTokens: 28, outputTokens: 1, cacheReadTokens: 5, cacheWriteTokens: 3 });
  // The older message_delta carries the output only.
  assert.deepEqual(anthropicUsage(start, { output_tokens: 9 }), { inputTokens: 28, outputTokens: 9, cacheReadTokens: 5, cacheWriteTokens: 3 });
  // The newer one repeats input_tokens, maybe without the cache fields: those are kept.
  assert.deepEqual(anthropicUsage(start, { input_tokens: 20, output_tokens: 9 }), { inputTokens: 28, outputTokens: 9, cacheReadTokens: 5, cacheWriteTokens: 3 });
  // No cache at all: zero, as Anthropic said.
  assert.deepEqual(anthropicUsage(null, { input_tokens: 7, output_tokens: 2 }), { inputTokens: 7, outputTokens: 2, cacheReadTokens: 0, cacheWriteTokens: 0 });
});

test('anthropic translation: cache reads and creation', () => {
  const raw = JSON.stringify({
    id: 'msg_1', type: 'message', role: 'assistant', model: 'claude', content: [{ type: 'text', text: 'hi' }], stop_reason: 'end_turn', stop_sequence: null,
    usage: { input_tokens: 20, cache_creation_input_tokens: 3, cache_read_input_tokens: 5, output_tokens: 9 },
  });
  assert.deepEqual(fromAnthropicJson(raw, 'claude').usage, { inputTokens: 28, outputTokens: 9, cacheReadTokens: 5, cacheWriteTokens: 3 });
});

test('bedrock translation: cacheReadInputTokens and cacheWriteInputTokens', () => {
  const raw = JSON.stringify({
    output: { message: { role: 'assistant', content: [{ text: 'hi' }] } }, stopReason: 'end_turn',
    usage: { inputTokens: 20, outputTokens: 9, totalTokens: 37, cacheReadInputTokens: 5, cacheWriteInputTokens: 3 },
  });
  assert.deepEqual(fromConverseJson(raw, 'nova').usage, { inputTokens: 28, outputTokens: 9, cacheReadTokens: 5, cacheWriteTokens: 3 });
});

test('gemini translation: cachedContentTokenCount is a cache read inside the prompt', () => {
  const raw = JSON.stringify({
    candidates: [{ content: { role: 'model', parts: [{ text: 'hi' }] }, finishReason: 'STOP' }],
    usageMetadata: { promptTokenCount: 28, cachedContentTokenCount: 16, candidatesTokenCount: 9, totalTokenCount: 37 },
  });
  assert.deepEqual(fromGeminiJson(raw, 'gem').usage, { inputTokens: 28, outputTokens: 9, cacheReadTokens: 16, cacheWriteTokens: null });
});
