// ConverseStream binary event-stream frames (split across writes mid-frame) become OpenAI
// chunks: role first, content deltas, the finish chunk, the usage chunk only with
// include_usage, then [DONE].
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MODEL_ID, setupBedrock } from './bedrock-support.js';

for (const includeUsage of [false, true]) {
  test(`bedrock: chat stream through the OpenAI SDK (include_usage ${includeUsage})`, { timeout: 30_000 }, async (t) => {
    const { fake, client, gw } = await setupBedrock(t);
    const stream = await client.chat.completions.create({
      model: 'claude', messages: [{ role: 'user', content: 'hi' }], stream: true,
      ...(includeUsage ? { stream_options: { include_usage: true } } : {}),
    });
    const chunks = [];
    for await (const c of stream) chunks.push(c);
    assert.equal(chunks[0]!.choices[0]!.delta.role, 'assistant');
    const text = chunks.map((c) => c.choices[0]?.delta.content ?? '').join('');
    assert.equal(text, 'Hello wörld 👋');
    const finish = chunks.filter((c) => c.choices[0]?.finish_reason);
    assert.equal(finish.length, 1);
    assert.equal(finish[0]!.choices[0]!.finish_reason, 'stop');
    const usage = chunks.filter((c) => c.usage);
    if (includeUsage) {
      assert.equal(usage.length, 1);
      assert.deepEqual(usage[0]!.choices, []);
      assert.deepEqual(usage[0]!.usage, { prompt_tokens: 25, completion_tokens: 9, total_tokens: 34, prompt_tokens_details: { cached_tokens: 5 } });
    } else {
      assert.equal(usage.length, 0);
    }
    assert.equal(fake.received[0]!.url, `/model/${encodeURIComponent(MODEL_ID)}/converse-stream`);
    assert.equal(fake.received[0]!.signatureProblem, null);
    assert.equal(fake.received[0]!.body.stream, undefined);

    // Raw SSE ends with [DONE].
    const raw = await fetch(`${gw.url()}/v1/chat/completions`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'claude', messages: [{ role: 'user', content: 'hi' }], stream: true }),
    });
    assert.equal(raw.status, 200);
    assert.match(raw.headers.get('content-type') ?? '', /^text\/event-stream/);
    const body = await raw.text();
    assert.ok(body.endsWith('data: [DONE]\n\n'));
  });
}
