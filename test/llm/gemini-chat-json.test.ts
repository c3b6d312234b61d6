// A JSON chat with a gemini model: the SDK gets an OpenAI chat.completion with the client's
// model name, the text, finish_reason "stop" and usage with cached tokens; the upstream got
// a generateContent request for the upstream model with generationConfig; the access log
// has the usage.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { accessLine } from '../http/support.js';
import { setupGemini } from './gemini-support.js';

test('gemini: JSON chat is translated both ways', { timeout: 30_000 }, async (t) => {
  const { fake, gw, client } = await setupGemini(t);
  const { data: completion, response } = await client.chat.completions.create({
    model: 'gem',
    messages: [{ role: 'user', content: 'hi' }],
    temperature: 0.5,
    top_p: 0.9,
    max_completion_tokens: 100,
    stop: 'END',
    seed: 7,
    response_format: { type: 'json_object' },
  }, { headers: { 'x-request-id': 'gemini-json' } }).withResponse();
  assert.equal(completion.object, 'chat.completion');
  assert.equal(completion.model, 'gem');
  assert.equal(completion.id, 'resp_fake');
  assert.equal(completion.choices[0]!.message.content, 'Hello world');
  assert.equal(completion.choices[0]!.finish_reason, 'stop');
  assert.deepEqual(completion.usage, { prompt_tokens: 28, completion_tokens: 9, total_tokens: 37, prompt_tokens_details: { cached_tokens: 5 } });
  assert.equal(response.headers.get('x-agentedge-provider'), 'gemini');
  assert.equal(response.headers.get('set-cookie'), null);
  const line = await accessLine(gw, 'gemini-json');
  assert.deepEqual(line.llm, { model: 'gem', target: 'gem', provider: 'gemini', attempts: 1, inputTokens: 28, outputTokens: 9, cacheReadTokens: 5, cacheWriteTokens: null, costUsd: 0.000006025 });
  const sent = fake.received[0]!;
  assert.equal(sent.url, '/v1beta/models/gemini-2.0-flash:generateContent');
  assert.deepEqual(sent.body, {
    contents: [{ role: 'user', parts: [{ text: 'hi' }] }],
    generationConfig: { maxOutputTokens: 100, temperature: 0.5, topP: 0.9, seed: 7, stopSequences: ['END'], responseMimeType: 'application/json' },
  });
});
