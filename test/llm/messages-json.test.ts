// The Anthropic SDK against an OpenAI model: the Messages request becomes an OpenAI chat
// request (system, stop sequences, max tokens), the chat.completion comes back as an
// Anthropic Message with the client's model name, and usage lands in the access log.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { accessLine } from '../http/support.js';
import { setupMessages } from './messages-support.js';

test('messages (JSON) over an OpenAI model', { timeout: 30_000 }, async (t) => {
  const { fake, gw, client } = await setupMessages(t);
  fake.on('/v1/chat/completions', (req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({
      id: 'chatcmpl-1', object: 'chat.completion', created: 1, model: req.body.model,
      choices: [{ index: 0, message: { role: 'assistant', content: 'Hello world' }, finish_reason: 'length' }],
      usage: { prompt_tokens: 11, completion_tokens: 7, total_tokens: 18, prompt_tokens_details: { cached_tokens: 3 } },
    }));
  });
  const msg = await client.messages.create({
    model: 'fast', max_tokens: 100, system: 'Be brief.', stop_sequences: ['END'], temperature: 0.5,
    messages: [{ role: 'user', content: 'hi' }, { role: 'assistant', content: 'hello' }, { role: 'user', content: [{ type: 'text', text: 'again', cache_control: { type: 'ephemeral' } }] }],
    metadata: { user_id: 'u-1' },
  } as never, { headers: { 'x-request-id': 'messages-json-1' } });

  assert.equal(msg.type, 'message');
  assert.equal(msg.role, 'assistant');
  assert.equal(msg.model, 'fast');
  assert.deepEqual(msg.content, [{ type: 'text', text: 'Hello world' }]);
  assert.equal(msg.stop_reason, 'max_tokens');
  assert.equal(msg.stop_sequence, null);
  assert.deepEqual(msg.usage, { input_tokens: 8, output_tokens: 7, cache_read_input_tokens: 3 });

  const up = fake.received[0]!;
  assert.equal(up.url, '/v1/chat/completions');
  assert.deepEqual(up.body, {
    model: 'gpt-4o-mini',
    messages: [
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'hi' },
      { role: 'assistant', content: 'hello' },
      { role: 'user', content: [{ type: 'text', text: 'again' }] },
    ],
    max_completion_tokens: 100, stop: ['END'], temperature: 0.5, user: 'u-1',
  });
  assert.equal(up.headers['anthropic-version'], undefined);

  const line = await accessLine(gw, 'messages-json-1');
  assert.deepEqual(line.llm, { model: 'fast', target: 'fast', provider: 'openai', attempts: 1, inputTokens: 11, outputTokens: 7, cacheReadTokens: 3, cacheWriteTokens: null, costUsd: 0.000005625 });
});

test('messages with system blocks over an openai-compatible model use max_tokens', { timeout: 30_000 }, async (t) => {
  const { fake, client } = await setupMessages(t);
  const msg = await client.messages.create({
    model: 'local', max_tokens: 50, system: [{ type: 'text', text: 'One.' }, { type: 'text', text: 'Two.' }],
    messages: [{ role: 'user', content: 'hi' }],
    output_config: { format: { type: 'json_schema', schema: { type: 'object', properties: { a: { type: 'string' } } } }, effort: 'low' },
    cache_control: { type: 'ephemeral' },
  });
  assert.deepEqual(msg.content, [{ type: 'text', text: 'Hello world' }]);
  assert.equal(msg.stop_reason, 'end_turn');
  const up = fake.received[0]!;
  assert.equal(up.body.max_tokens, 50);
  assert.equal(up.body.max_completion_tokens, undefined);
  assert.deepEqual(up.body.messages[0], { role: 'system', content: [{ type: 'text', text: 'One.' }, { type: 'text', text: 'Two.' }] });
  assert.equal(up.headers['x-extra'], 'from-config');
  assert.deepEqual(up.body.response_format, { type: 'json_schema', json_schema: { name: 'output', schema: { type: 'object', properties: { a: { type: 'string' } } }, strict: true } });
  assert.equal(up.body.reasoning_effort, 'low');
  assert.equal(up.body.cache_control, undefined);
});
