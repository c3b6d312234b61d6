// Tools and tool calls pass through unchanged: the request's tools reach the upstream as
// sent, a JSON tool call reaches the SDK, and streamed argument fragments arrive in order.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type OpenAI from 'openai';
import { setup } from './support.js';

const tools: OpenAI.Chat.Completions.ChatCompletionTool[] = [{
  type: 'function',
  function: { name: 'get_weather', description: 'Weather for a city', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } },
}];

test('tool calls pass through (JSON)', { timeout: 30_000 }, async (t) => {
  const { fake, client } = await setup(t);
  const r = await client.chat.completions.create({ model: 'fast', messages: [{ role: 'user', content: 'weather?' }], tools, tool_choice: 'auto' });
  const call = r.choices[0]!.message.tool_calls![0]!;
  assert.equal(call.type, 'function');
  assert.equal(call.type === 'function' && call.function.name, 'get_weather');
  assert.equal(call.type === 'function' && call.function.arguments, '{"city": "Paris"}');
  assert.equal(r.choices[0]!.finish_reason, 'tool_calls');
  assert.deepEqual(fake.received[0]!.body.tools, tools);
  assert.equal(fake.received[0]!.body.tool_choice, 'auto');
});

test('tool calls pass through (streamed argument fragments)', { timeout: 30_000 }, async (t) => {
  const { client } = await setup(t);
  const stream = await client.chat.completions.create({ model: 'fast', messages: [{ role: 'user', content: 'weather?' }], tools, stream: true });
  const fragments: string[] = [];
  let name = '';
  let finish: string | null = null;
  for await (const c of stream) {
    for (const tc of c.choices[0]?.delta.tool_calls ?? []) {
      if (tc.function?.name) name = tc.function.name;
      if (tc.function?.arguments) fragments.push(tc.function.arguments);
    }
    finish = c.choices[0]?.finish_reason ?? finish;
  }
  assert.equal(name, 'get_weather');
  assert.deepEqual(fragments, ['{"ci', 'ty": "Par', 'is"}']);
  assert.deepEqual(JSON.parse(fragments.join('')), { city: 'Paris' });
  assert.equal(finish, 'tool_calls');
});
