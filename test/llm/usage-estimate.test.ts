// estimateUsage, for a stream cut before its usage chunk: input tokens from the request's
// messages and tools with the o200k tokenizer plus OpenAI's framing, output tokens from the
// data events the stream filter counted (about one token per OpenAI chunk).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LLM_LIMIT_DEFAULTS } from '../../src/llm/spec.js';
import { countTokens } from 'gpt-tokenizer/encoding/o200k_base';
import { estimateUsage, preloadTokenizer } from '../../src/llm/estimate.js';
import { OpenAIStreamUsage } from '../../src/llm/usage.js';

const chunk = (delta: Record<string, unknown>): string => `data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', choices: [{ index: 0, delta, finish_reason: null }] })}\n\n`;

test('input: message texts tokenized with o200k, 3 tokens a message and 3 to prime the reply', () => {
  preloadTokenizer();
  const system = 'You are terse.';
  const user = 'How many tokens is this sentence, roughly?';
  const u = estimateUsage({ model: 'gpt-4o-mini', messages: [{ role: 'system', content: system }, { role: 'user', content: user }] }, 0);
  const expected = countTokens('system') + countTokens(system) + countTokens('user') + countTokens(user) + 2 * 3 + 3;
  assert.deepEqual(u, { inputTokens: expected, outputTokens: 0, cacheReadTokens: null, cacheWriteTokens: null });
});

test('input: content parts, images, tool calls and tool definitions all count', () => {
  const base = { messages: [{ role: 'user', content: 'hi' }] };
  const plain = estimateUsage(base, 0).inputTokens!;
  const withImage = estimateUsage({ messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }, { type: 'image_url', image_url: { url: 'https://x/y.png' } }] }] }, 0).inputTokens!;
  assert.equal(withImage, plain + 765);
  const tools = [{ type: 'function', function: { name: 'get_weather', description: 'Weather of a city', parameters: { type: 'object', properties: { city: { type: 'string' } } } } }];
  assert.equal(estimateUsage({ ...base, tools }, 0).inputTokens, plain + countTokens(JSON.stringify(tools)));
  const call = { role: 'assistant', content: null, tool_calls: [{ id: 'c1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }] };
  const withCall = estimateUsage({ messages: [...base.messages, call] }, 0).inputTokens!;
  assert.equal(withCall, plain + 3 + countTokens('assistant') + countTokens('get_weather') + countTokens('{"city":"Paris"}'));
});

test('input: special-token markers in user text are counted, not refused', () => {
  const u = estimateUsage({ messages: [{ role: 'user', content: 'say <|endoftext|> please' }] }, 0);
  assert.ok(u.inputTokens! > 6);
});

test('input: a huge prompt is tokenized in part and extrapolated (bounded work)', () => {
  const text = 'The quick brown fox jumps over the lazy dog. '.repeat(40_000); // 1.8 MB
  const u = estimateUsage({ messages: [{ role: 'user', content: text }] }, 0);
  const exact = countTokens(text);
  assert.ok(Math.abs(u.inputTokens! - exact) / exact < 0.01, `${u.inputTokens} vs ${exact}`);
});

test('input: an odd body gives a small estimate, never an error', () => {
  assert.equal(estimateUsage({}, 0).inputTokens, 3);
  assert.equal(estimateUsage({ messages: 'nope', tools: 5 }, 2).inputTokens, 3);
  assert.equal(estimateUsage({ messages: [null, 7, { role: 1, content: [null, { type: 'input_audio' }] }] }, 0).inputTokens, 3 + 3 * 3);
});

test('output: the data events the stream filter forwarded, less the role chunk', () => {
  const f = new OpenAIStreamUsage(true, LLM_LIMIT_DEFAULTS.maxEventBytes);
  f.push(Buffer.from(chunk({ role: 'assistant', content: '' })));
  // Several events in one chunk, and one cut in the middle.
  const words = ['Hello', ' there', ',', ' how', ' are', ' you'].map((w) => chunk({ content: w })).join('');
  f.push(Buffer.from(words.slice(0, 250)));
  f.push(Buffer.from(words.slice(250)));
  // CRLF framing counts the same.
  f.push(Buffer.from(chunk({ content: '?' }).replace(/\n/g, '\r\n')));
  assert.equal(f.outputEvents, 7);
  assert.equal(f.usage, null);
  assert.equal(estimateUsage({ messages: [] }, f.outputEvents).outputTokens, 7);
  // "data:" inside a content string is not an event (newlines are escaped in JSON).
  const g = new OpenAIStreamUsage(true, LLM_LIMIT_DEFAULTS.maxEventBytes);
  g.push(Buffer.from(chunk({ role: 'assistant' }) + chunk({ content: 'x\ndata: y' })));
  assert.equal(g.outputEvents, 1);
});
