// JSON a client sends inside its body, which a translated provider turns into a value (an
// assistant tool call's `arguments`, a gemini tool result), is held to a body's rules:
// nested at most 1,024 deep and no "__proto__" key however it is spelled. Arguments that
// break them are a 400 naming the field, upstream not contacted (100,000 levels once made a
// 500: the stack overflowed serialising the upstream request); a gemini tool result that
// breaks them goes upstream as text, as any other non-object result does.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { setupAnthropic } from './anthropic-support.js';
import { setupBedrock } from './bedrock-support.js';
import { nested } from './deep-json.js';
import { setupGemini } from './gemini-support.js';

const DEEP_ARGS = `{"a":${nested(100_000)}}`;
const ESCAPED_PROTO_ARGS = '{"city": "Paris", "\\u005f_proto__": {"isAdmin": true}}';

function conversation(args: string): OpenAI.ChatCompletionMessageParam[] {
  return [
    { role: 'user', content: 'weather?' },
    { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: args } }] },
    { role: 'tool', tool_call_id: 'call_1', content: 'sunny' },
  ];
}

async function refused(client: OpenAI, model: string, args: string, why: RegExp): Promise<void> {
  const err = await client.chat.completions.create({ model, messages: conversation(args) }).then(() => null, (e: unknown) => e);
  assert.ok(err instanceof OpenAI.BadRequestError, String(err));
  assert.equal(err.code, 'AE_BAD_REQUEST');
  assert.match(err.message, /"messages\[1\]\.tool_calls\[0\]\.function\.arguments"/);
  assert.match(err.message, why);
}

const DEPTH = /deeper than 1024 levels/;
const PROTO = /forbidden key "__proto__"/;

test('anthropic: tool call arguments too deep or with an escaped __proto__ → 400', { timeout: 60_000 }, async (t) => {
  const { fake, client } = await setupAnthropic(t);
  await refused(client, 'claude', DEEP_ARGS, DEPTH);
  await refused(client, 'claude', ESCAPED_PROTO_ARGS, PROTO);
  assert.equal(fake.received.length, 0);
});

test('gemini: tool call arguments too deep or with an escaped __proto__ → 400', { timeout: 60_000 }, async (t) => {
  const { fake, client } = await setupGemini(t);
  await refused(client, 'gem', DEEP_ARGS, DEPTH);
  await refused(client, 'gem', ESCAPED_PROTO_ARGS, PROTO);
  assert.equal(fake.received.length, 0);
});

test('bedrock: tool call arguments too deep or with an escaped __proto__ → 400', { timeout: 60_000 }, async (t) => {
  const { fake, client } = await setupBedrock(t);
  await refused(client, 'claude', DEEP_ARGS, DEPTH);
  await refused(client, 'claude', ESCAPED_PROTO_ARGS, PROTO);
  assert.equal(fake.received.length, 0);
});

test('gemini: a tool result too deep, or with an escaped __proto__, goes upstream as text', { timeout: 60_000 }, async (t) => {
  const { fake, client } = await setupGemini(t);
  for (const content of [DEEP_ARGS, '{"\\u005f_proto__": {"isAdmin": true}}']) {
    const messages = conversation('{"city":"Paris"}');
    messages[2] = { role: 'tool', tool_call_id: 'call_1', content };
    const completion = await client.chat.completions.create({ model: 'gem', messages });
    assert.equal(completion.choices[0]!.message.content, 'Hello world');
    const parts = fake.received.at(-1)!.body.contents[2].parts;
    assert.deepEqual(parts, [{ functionResponse: { name: 'get_weather', response: { output: content } } }]);
  }
});
