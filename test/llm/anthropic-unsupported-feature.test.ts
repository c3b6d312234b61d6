// A feature Anthropic cannot express is a 400 naming the field, before anything is sent
// upstream: the SDK raises BadRequestError.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { setupAnthropic } from './anthropic-support.js';

test('anthropic: unsupported features are refused with a 400 naming them', { timeout: 30_000 }, async (t) => {
  const { fake, client } = await setupAnthropic(t);
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ n: 2 }, /"n"/],
    [{ logprobs: true }, /"logprobs"/],
    [{ response_format: { type: 'json_schema', json_schema: { name: 'x', schema: {} } } }, /"response_format"/],
    [{ seed: 7 }, /"seed"/],
    [{ some_new_field: 1 }, /"some_new_field"/],
  ];
  for (const [extra, name] of cases) {
    const err = await client.chat.completions.create({ model: 'claude', messages: [{ role: 'user', content: 'hi' }], ...extra } as never)
      .then(() => null, (e: unknown) => e);
    assert.ok(err instanceof OpenAI.BadRequestError, String(err));
    assert.match(err.message, name);
  }
  const err = await client.embeddings.create({ model: 'claude', input: 'x' }).then(() => null, (e: unknown) => e);
  assert.ok(err instanceof OpenAI.BadRequestError, String(err));
  assert.equal(fake.received.length, 0);
});
