// A JSON chat with an anthropic model: the SDK gets an OpenAI chat.completion with the
// client's model name, the text, finish_reason "stop" and usage with cached tokens; the
// upstream got a Messages request with the upstream model name and a default max_tokens;
// the access log has the usage.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { accessLine } from '../http/support.js';
import { setupAnthropic } from './anthropic-support.js';

test('anthropic: JSON chat is translated both ways', { timeout: 30_000 }, async (t) => {
  const { fake, gw, client } = await setupAnthropic(t);
  const { data: completion, response } = await client.chat.completions.create({
    model: 'claude',
    messages: [{ role: 'user', content: 'hi' }],
    temperature: 0.5,
    stop: 'END',
  }, { headers: { 'x-request-id': 'anthropic-json' } }).withResponse();
  assert.equal(completion.object, 'chat.completion');
  assert.equal(completion.model, 'claude');
  assert.equal(completion.choices[0]!.message.content, 'Hello world');
  assert.equal(completion.choices[0]!.finish_reason, 'stop');
  assert.deepEqual(completion.usage, { prompt_tokens: 28, completion_tokens: 9, total_tokens: 37, prompt_tokens_details: { cached_tokens: 5 } });
  assert.equal(response.headers.get('x-agentedge-provider'), 'anthropic');
  assert.equal(response.headers.get('set-cookie'), null);
  const line = await accessLine(gw, 'anthropic-json');
  assert.deepEqual(line.llm, { model: 'claude', target: 'claude', provider: 'anthropic', attempts: 1, inputTokens: 28, outputTokens: 9, cacheReadTokens: 5, cacheWriteTokens: 3, costUsd: 0.00020775 });
  const sent = fake.received[0]!;
  assert.equal(sent.url, '/v1/messages');
  assert.deepEqual(sent.body, {
    model: 'claude-sonnet-4-5', messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }],
    max_tokens: 4096, temperature: 0.5, stop_sequences: ['END'],
  });
});
