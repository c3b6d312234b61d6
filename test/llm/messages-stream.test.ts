// A streamed answer from an OpenAI model reaches the Anthropic SDK as Anthropic events:
// the stream helper yields the text deltas and a final message with stop reason and
// usage; the upstream was asked for include_usage.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { accessLine } from '../http/support.js';
import { setupMessages } from './messages-support.js';

test('messages stream (text) over an OpenAI model', { timeout: 30_000 }, async (t) => {
  const { fake, gw, client } = await setupMessages(t);
  const stream = client.messages.stream({ model: 'fast', max_tokens: 100, messages: [{ role: 'user', content: 'hi' }] }, { headers: { 'x-request-id': 'messages-stream-1' } });
  const deltas: string[] = [];
  const types: string[] = [];
  stream.on('text', (d) => deltas.push(d));
  stream.on('streamEvent', (e) => types.push(e.type));
  const final = await stream.finalMessage();

  assert.deepEqual(deltas, ['Hello', ' world']);
  assert.deepEqual(types, ['message_start', 'content_block_start', 'content_block_delta', 'content_block_delta', 'content_block_stop', 'message_delta', 'message_stop']);
  assert.equal(final.model, 'fast');
  assert.equal(final.content.length, 1);
  assert.equal(final.content[0]!.type === 'text' ? final.content[0]!.text : '', 'Hello world');
  assert.equal(final.stop_reason, 'end_turn');
  assert.equal(final.usage.output_tokens, 7);
  assert.equal(final.usage.input_tokens, 11);
  assert.equal(fake.received[0]!.body.stream, true);
  assert.deepEqual(fake.received[0]!.body.stream_options, { include_usage: true });

  const line = await accessLine(gw, 'messages-stream-1');
  assert.deepEqual(line.llm, { model: 'fast', target: 'fast', provider: 'openai', attempts: 1, inputTokens: 11, outputTokens: 7, cacheReadTokens: 0, cacheWriteTokens: null, costUsd: 0.00000585 });
});

test('messages stream (tool call) gives a tool_use block built from input_json_delta', { timeout: 30_000 }, async (t) => {
  const { client } = await setupMessages(t);
  const stream = client.messages.stream({
    model: 'fast', max_tokens: 100, messages: [{ role: 'user', content: 'weather in Paris?' }],
    tools: [{ name: 'get_weather', description: 'Weather', input_schema: { type: 'object', properties: { city: { type: 'string' } } } }],
  });
  const json: string[] = [];
  stream.on('inputJson', (partial) => json.push(partial));
  const final = await stream.finalMessage();
  assert.equal(final.stop_reason, 'tool_use');
  assert.deepEqual(json, ['{"ci', 'ty": "Par', 'is"}']);
  assert.equal(final.content.length, 1);
  const block = final.content[0]!;
  assert.equal(block.type, 'tool_use');
  if (block.type !== 'tool_use') return;
  assert.equal(block.id, 'call_1');
  assert.equal(block.name, 'get_weather');
  assert.deepEqual(block.input, { city: 'Paris' });
});
