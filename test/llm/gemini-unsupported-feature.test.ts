// A request field the gemini provider cannot express is a 400 naming it, and nothing is sent
// upstream.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { setupGemini } from './gemini-support.js';

test('gemini: unsupported fields → 400 naming them', { timeout: 30_000 }, async (t) => {
  const { fake, client } = await setupGemini(t);
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ n: 2 }, /"n"/],
    [{ logprobs: true }, /"logprobs"/],
    [{ user: 'u1' }, /"user"/],
    [{ logit_bias: { 1: 2 } }, /"logit_bias"/],
    [{ parallel_tool_calls: false }, /"parallel_tool_calls"/],
    [{ response_format: { type: 'json_schema', json_schema: { name: 'x' } } }, /"response_format"/],
    [{ tools: [{ type: 'function', function: { name: 'f', strict: true } }] }, /"tools\[0\]\.function\.strict"/],
    [{ messages: [{ role: 'user', content: [{ type: 'input_audio', input_audio: { data: 'x', format: 'wav' } }] }] }, /messages\[0\]\.content\[0\]\.type/],
  ];
  for (const [extra, field] of cases) {
    const err = await client.chat.completions.create({ model: 'gem', messages: [{ role: 'user', content: 'hi' }], ...extra } as never).then(() => null, (e: unknown) => e);
    assert.ok(err instanceof OpenAI.BadRequestError, `${JSON.stringify(extra)}: ${String(err)}`);
    assert.match(err.message, field);
  }
  assert.equal(fake.received.length, 0);

  // The defaults are accepted, and a json_schema becomes responseJsonSchema.
  const schema = { type: 'object', properties: { a: { type: 'string' } }, additionalProperties: false };
  await client.chat.completions.create({
    model: 'gem', messages: [{ role: 'user', content: 'hi' }], n: 1, logprobs: false, store: false, presence_penalty: 0,
    response_format: { type: 'json_schema', json_schema: { name: 's', schema, strict: true } },
  });
  assert.deepEqual(fake.received[0]!.body.generationConfig, { responseMimeType: 'application/json', responseJsonSchema: schema });
});
