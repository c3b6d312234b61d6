// A request body nested deeper than the route's maxJsonDepth (default 128) is a 400 in the
// caller's shape that names the limit, on every LLM front, and nothing reaches the upstream;
// 100,000 levels once made a 500 (RangeError: the stack overflowed re-serialising the body).
// Nesting at the cap is served. The real SDKs send the requests; a fetch wrapper swaps a
// marker in their JSON for the deep text (deep-json.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { setupAnthropic } from './anthropic-support.js';
import { setupMessages } from './messages-support.js';
import { MARKER, nested, swapping } from './deep-json.js';
import { setup } from './support.js';

/** The default limits.maxJsonDepth. */
const CAP = 128;

function openAIWith(base: string, json: string): OpenAI {
  return new OpenAI({ baseURL: base, apiKey: 'sk-client', maxRetries: 0, timeout: 30_000, fetch: swapping(json) });
}

async function refusedByOpenAI(call: Promise<unknown>): Promise<void> {
  const err = await call.then(() => null, (e: unknown) => e);
  assert.ok(err instanceof OpenAI.BadRequestError, String(err));
  assert.equal(err.code, 'AE_BAD_REQUEST');
  assert.equal(err.type, 'invalid_request_error');
  assert.match(err.message, new RegExp(`deeper than ${CAP} levels .*maxJsonDepth`));
  assert.doesNotMatch(err.message, /RangeError|stack/);
}

// Body depths: 100,000, and one over the cap. The body itself is depth 1; a tool's
// parameters (body, tools, tool, parameters) hold their content at depth 5.
for (const [what, depth] of [['100,000 levels', 100_000], ['one level over the cap', CAP + 1]] as const) {
  test(`chat/completions and embeddings: ${what} → 400 in OpenAI shape, upstream not contacted`, { timeout: 60_000 }, async (t) => {
    const { fake, gw } = await setup(t);
    const client = openAIWith(`${gw.url()}/v1`, nested(depth - 1));
    await refusedByOpenAI(client.chat.completions.create({ model: 'fast', messages: [{ role: 'user', content: 'hi' }], x: MARKER } as never));
    await refusedByOpenAI(client.embeddings.create({ model: 'fast', input: 'hi', x: MARKER } as never));
    assert.equal(fake.received.length, 0);
  });

  test(`responses, translated for anthropic: ${what} → 400 in OpenAI shape, upstream not contacted`, { timeout: 60_000 }, async (t) => {
    const { fake, gw } = await setupAnthropic(t);
    const client = openAIWith(`${gw.url()}/v1`, nested(depth - 4));
    await refusedByOpenAI(client.responses.create({ model: 'claude', input: 'hi', tools: [{ type: 'function', name: 'f', parameters: { x: MARKER }, strict: false }] } as never));
    assert.equal(fake.received.length, 0);
  });

  test(`messages: ${what} → 400 in Anthropic shape, upstream not contacted`, { timeout: 60_000 }, async (t) => {
    const { fake, gw } = await setupMessages(t);
    const client = new Anthropic({ baseURL: gw.url(), apiKey: 'sk-ant-client', maxRetries: 0, timeout: 30_000, fetch: swapping(nested(depth - 4)) });
    const err = await client.messages.create({
      model: 'fast', max_tokens: 16, messages: [{ role: 'user', content: 'hi' }],
      tools: [{ name: 'f', input_schema: { type: 'object', x: MARKER } }],
    } as never).then(() => null, (e: unknown) => e);
    assert.ok(err instanceof Anthropic.BadRequestError, String(err));
    const body = err.error as { type: string; error: { type: string; message: string } };
    assert.equal(body.type, 'error');
    assert.equal(body.error.type, 'invalid_request_error');
    assert.match(body.error.message, new RegExp(`deeper than ${CAP} levels .*maxJsonDepth`));
    assert.equal(fake.received.length, 0);
  });
}

test('nesting at the cap is served on every front', { timeout: 60_000 }, async (t) => {
  const { fake, gw } = await setup(t);
  const chat = await openAIWith(`${gw.url()}/v1`, nested(CAP - 1))
    .chat.completions.create({ model: 'fast', messages: [{ role: 'user', content: 'hi' }], x: MARKER } as never);
  assert.equal(chat.choices[0]?.message.content, 'Hello world');
  assert.equal(fake.received.length, 1);
  assert.ok(fake.received[0]!.raw.includes(`:${nested(CAP - 1)}`), 'the nesting went upstream as it was');

  const messages = await new Anthropic({ baseURL: gw.url(), apiKey: 'sk-ant-client', maxRetries: 0, timeout: 30_000, fetch: swapping(nested(CAP - 4)) })
    .messages.create({ model: 'fast', max_tokens: 16, messages: [{ role: 'user', content: 'hi' }], tools: [{ name: 'f', input_schema: { type: 'object', x: MARKER } }] } as never);
  assert.equal(messages.type, 'message');

  const anthropic = await setupAnthropic(t);
  const r = await openAIWith(`${anthropic.gw.url()}/v1`, nested(CAP - 4))
    .responses.create({ model: 'claude', input: 'hi', tools: [{ type: 'function', name: 'f', parameters: { x: MARKER }, strict: false }] } as never);
  assert.equal(r.status, 'completed');
  assert.equal(anthropic.fake.received.length, 1);
});
