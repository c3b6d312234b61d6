// OpenAI SDK → gateway → Bedrock Converse (JSON): the request is translated (model id in the
// path, system, messages, inferenceConfig) and signed; the answer becomes a chat.completion.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MODEL_ID, setupBedrock } from './bedrock-support.js';

test('bedrock: chat JSON through the OpenAI SDK', { timeout: 30_000 }, async (t) => {
  const { fake, client } = await setupBedrock(t);
  const res = await client.chat.completions.create({
    model: 'claude',
    messages: [
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'Say hello' },
      { role: 'assistant', content: 'Hi?' },
      { role: 'user', content: [{ type: 'text', text: 'Again' }] },
    ],
    max_tokens: 100, temperature: 0.5, top_p: 0.9, stop: ['END'],
  });
  assert.equal(res.object, 'chat.completion');
  assert.equal(res.model, 'claude');
  assert.equal(res.choices[0]!.message.content, 'Hello world');
  assert.equal(res.choices[0]!.finish_reason, 'stop');
  assert.deepEqual(res.usage, { prompt_tokens: 25, completion_tokens: 9, total_tokens: 34, prompt_tokens_details: { cached_tokens: 5 } });

  const req = fake.received[0]!;
  assert.equal(req.signatureProblem, null);
  assert.equal(req.url, `/model/${encodeURIComponent(MODEL_ID)}/converse`);
  assert.ok(req.url.includes('%3A'));
  assert.deepEqual(req.body, {
    messages: [
      { role: 'user', content: [{ text: 'Say hello' }] },
      { role: 'assistant', content: [{ text: 'Hi?' }] },
      { role: 'user', content: [{ text: 'Again' }] },
    ],
    system: [{ text: 'Be brief.' }],
    inferenceConfig: { maxTokens: 100, temperature: 0.5, topP: 0.9, stopSequences: ['END'] },
  });
});

test('bedrock: unsupported fields are a 400 naming them', { timeout: 30_000 }, async (t) => {
  const { fake, client } = await setupBedrock(t);
  for (const [extra, field] of [[{ seed: 1 }, 'seed'], [{ response_format: { type: 'json_object' } }, 'response_format'], [{ parallel_tool_calls: false }, 'parallel_tool_calls']] as const) {
    await assert.rejects(
      client.chat.completions.create({ model: 'claude', messages: [{ role: 'user', content: 'x' }], ...extra } as any),
      (err: any) => err.status === 400 && err.message.includes(`"${field}"`),
    );
  }
  assert.equal(fake.received.length, 0);
});
