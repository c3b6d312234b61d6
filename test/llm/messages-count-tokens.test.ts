// count_tokens on an OpenAI model is answered by the gateway with an estimate (no upstream
// call): more text gives more tokens; an unknown model is a NotFoundError.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import Anthropic from '@anthropic-ai/sdk';
import { setupMessages } from './messages-support.js';

test('count_tokens estimate for an OpenAI model', { timeout: 30_000 }, async (t) => {
  const { fake, client } = await setupMessages(t);
  const short = await client.messages.countTokens({ model: 'fast', messages: [{ role: 'user', content: 'hi' }] });
  const long = await client.messages.countTokens({ model: 'fast', system: 'You are helpful.', messages: [{ role: 'user', content: 'hi '.repeat(400) }] });
  assert.ok(short.input_tokens > 0);
  assert.ok(long.input_tokens > short.input_tokens + 250, `${long.input_tokens} vs ${short.input_tokens}`);
  assert.equal(fake.received.length, 0);
  const err = await client.messages.countTokens({ model: 'nope', messages: [{ role: 'user', content: 'hi' }] }).then(() => null, (e: unknown) => e);
  assert.ok(err instanceof Anthropic.NotFoundError, String(err));
});
