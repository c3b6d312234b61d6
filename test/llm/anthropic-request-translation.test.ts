// The OpenAI → Anthropic request translation as a pure function: field by field, and the
// 400s that name what cannot be expressed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GatewayError } from '../../src/core/index.js';
import { finishReason, toAnthropicRequest } from '../../src/llm/providers/anthropic.js';

const user = { role: 'user', content: 'hi' };

test('anthropic request: scalar fields', () => {
  assert.deepEqual(toAnthropicRequest({
    model: 'claude', messages: [user], max_tokens: 10, max_completion_tokens: 20, top_p: 0.9, stop: ['a', 'b'], user: 'u-1',
    n: 1, logprobs: false, presence_penalty: 0, response_format: { type: 'text' }, stream: true, stream_options: { include_usage: true },
  }, 'up'), {
    model: 'up', messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }], max_tokens: 20, top_p: 0.9,
    stop_sequences: ['a', 'b'], metadata: { user_id: 'u-1' }, stream: true,
  });
});

test('anthropic request: a user turn after tool results joins their user turn', () => {
  const out = toAnthropicRequest({
    model: 'm',
    messages: [
      user,
      { role: 'assistant', content: 'checking', tool_calls: [{ id: 't1', type: 'function', function: { name: 'f', arguments: '' } }] },
      { role: 'tool', tool_call_id: 't1', content: 'done' },
      { role: 'user', content: 'and now?' },
    ],
  }, 'm');
  assert.deepEqual(out.messages, [
    { role: 'user', content: [{ type: 'text', text: 'hi' }] },
    { role: 'assistant', content: [{ type: 'text', text: 'checking' }, { type: 'tool_use', id: 't1', name: 'f', input: {} }] },
    { role: 'user', content: [{ type: 'tool_result', tool_use_id: 't1', content: 'done' }, { type: 'text', text: 'and now?' }] },
  ]);
});

test('anthropic request: what cannot be expressed is a 400 naming it', () => {
  const refused: [Record<string, unknown>, string][] = [
    [{ top_logprobs: 2 }, '"top_logprobs"'],
    [{ frequency_penalty: 0.5 }, '"frequency_penalty"'],
    [{ response_format: { type: 'json_object' } }, '"response_format"'],
    [{ tools: [{ type: 'custom', custom: { name: 'x' } }] }, '"tools[0].type"'],
    [{ tools: [{ type: 'function', function: { name: 'x', strict: true } }] }, '"tools[0].function.strict"'],
    [{ messages: [{ role: 'user', content: [{ type: 'input_audio', input_audio: { data: '', format: 'wav' } }] }] }, '"messages[0].content[0].type"'],
    [{ messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'ftp://x/y.png' } }] }] }, '"messages[0].content[0].image_url.url"'],
    [{ messages: [{ role: 'function', name: 'f', content: 'x' }] }, '"messages[0].role"'],
    [{ messages: [{ role: 'assistant', content: null, tool_calls: [{ id: 'a', type: 'function', function: { name: 'f', arguments: '{bad' } }] }] }, '"messages[0].tool_calls[0].function.arguments"'],
  ];
  for (const [extra, name] of refused) {
    assert.throws(() => toAnthropicRequest({ model: 'm', messages: [user], ...extra }, 'm'), (e: unknown) => {
      assert.ok(e instanceof GatewayError);
      assert.equal(e.status, 400);
      assert.ok(e.publicMessage.includes(name), `${e.publicMessage} should name ${name}`);
      return true;
    });
  }
});

test('anthropic stop reasons map to OpenAI finish reasons', () => {
  assert.deepEqual(['end_turn', 'stop_sequence', 'max_tokens', 'tool_use', 'refusal', 'pause_turn', null].map(finishReason),
    ['stop', 'stop', 'length', 'tool_calls', 'content_filter', 'stop', 'stop']);
});
