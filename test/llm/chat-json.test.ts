// A JSON chat completion through the gateway: the SDK gets the upstream's answer, the
// upstream gets the upstream model name, the response says who served it, and usage
// lands in the access log.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { accessLine } from '../http/support.js';
import { setup } from './support.js';

test('chat completion (JSON) passes through with model rewrite and usage', { timeout: 30_000 }, async (t) => {
  const { fake, gw, client } = await setup(t);
  const { data, response } = await client.chat.completions.create(
    { model: 'fast', messages: [{ role: 'user', content: 'hi' }] },
    { headers: { 'x-request-id': 'chat-json-1' } },
  ).withResponse();

  assert.equal(data.choices[0]!.message.content, 'Hello world');
  assert.equal(data.usage?.prompt_tokens, 11);
  assert.equal(fake.received.length, 1);
  assert.equal(fake.received[0]!.url, '/v1/chat/completions');
  assert.equal(fake.received[0]!.body.model, 'gpt-4o-mini');
  assert.equal(response.headers.get('x-agentedge-model'), 'fast');
  assert.equal(response.headers.get('x-agentedge-provider'), 'openai');
  assert.equal(response.headers.get('x-ratelimit-remaining-requests'), '99');
  assert.equal(response.headers.get('set-cookie'), null);
  assert.equal(response.headers.get('openai-organization'), null);

  const line = await accessLine(gw, 'chat-json-1');
  assert.deepEqual(line.llm, { model: 'fast', target: 'fast', provider: 'openai', attempts: 1, inputTokens: 11, outputTokens: 7, cacheReadTokens: null, cacheWriteTokens: null, costUsd: 0.00000585 });
  assert.equal(line.status, 200);
});
