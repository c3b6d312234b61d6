// Tools: OpenAI tools/tool_choice → toolConfig; a toolUse answer → tool_calls (JSON), and
// streamed as index/id/name then argument fragments; tool results go back as toolResult blocks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setupBedrock } from './bedrock-support.js';

const tools = [{ type: 'function' as const, function: { name: 'get_weather', description: 'Weather of a city', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } } }];

test('bedrock: tool call JSON, and the tool result round trip', { timeout: 30_000 }, async (t) => {
  const { fake, client } = await setupBedrock(t);
  const res = await client.chat.completions.create({ model: 'claude', messages: [{ role: 'user', content: 'Weather in Paris?' }], tools, tool_choice: 'required' });
  const msg = res.choices[0]!.message;
  assert.equal(res.choices[0]!.finish_reason, 'tool_calls');
  assert.equal(msg.content, 'Let me check.');
  assert.deepEqual(msg.tool_calls, [{ id: 'tooluse_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }]);
  assert.deepEqual(fake.received[0]!.body.toolConfig, {
    tools: [{ toolSpec: { name: 'get_weather', description: 'Weather of a city', inputSchema: { json: tools[0]!.function.parameters } } }],
    toolChoice: { any: {} },
  });

  const second = await client.chat.completions.create({
    model: 'claude', tools, tool_choice: { type: 'function', function: { name: 'get_weather' } },
    messages: [
      { role: 'user', content: 'Weather in Paris?' },
      msg,
      { role: 'tool', tool_call_id: 'tooluse_1', content: 'Sunny, 21°C' },
    ],
  });
  assert.equal(second.choices[0]!.message.content, 'Hello world');
  const body = fake.received[1]!.body;
  assert.deepEqual(body.toolConfig.toolChoice, { tool: { name: 'get_weather' } });
  assert.deepEqual(body.messages, [
    { role: 'user', content: [{ text: 'Weather in Paris?' }] },
    { role: 'assistant', content: [{ text: 'Let me check.' }, { toolUse: { toolUseId: 'tooluse_1', name: 'get_weather', input: { city: 'Paris' } } }] },
    { role: 'user', content: [{ toolResult: { toolUseId: 'tooluse_1', content: [{ text: 'Sunny, 21°C' }] } }] },
  ]);
});

test('bedrock: tool call streamed with argument fragments', { timeout: 30_000 }, async (t) => {
  const { client } = await setupBedrock(t);
  const stream = await client.chat.completions.create({ model: 'claude', messages: [{ role: 'user', content: 'Weather in Paris?' }], tools, stream: true });
  const calls: any[] = [];
  let text = '';
  let finish = null;
  for await (const c of stream) {
    const d = c.choices[0]?.delta;
    if (d?.content) text += d.content;
    if (d?.tool_calls) calls.push(...d.tool_calls);
    if (c.choices[0]?.finish_reason) finish = c.choices[0].finish_reason;
  }
  assert.equal(text, 'Let me check.');
  assert.equal(finish, 'tool_calls');
  assert.deepEqual(calls[0], { index: 0, id: 'tooluse_1', type: 'function', function: { name: 'get_weather', arguments: '' } });
  assert.deepEqual(calls.slice(1).map((c) => c.function.arguments), ['{"ci', 'ty": "Par', 'is"}']);
  assert.ok(calls.slice(1).every((c) => c.index === 0 && c.id === undefined));
  assert.deepEqual(JSON.parse(calls.map((c) => c.function.arguments).join('')), { city: 'Paris' });

  // The SDK's own accumulator agrees.
  const runner = client.chat.completions.stream({ model: 'claude', messages: [{ role: 'user', content: 'Weather in Paris?' }], tools });
  const final = await runner.finalChatCompletion();
  assert.deepEqual(final.choices[0]!.message.tool_calls?.[0]?.function, { name: 'get_weather', arguments: '{"city": "Paris"}' });
});

test('bedrock: tool_choice none leaves the tools out', { timeout: 30_000 }, async (t) => {
  const { fake, client } = await setupBedrock(t);
  const res = await client.chat.completions.create({ model: 'claude', messages: [{ role: 'user', content: 'hi' }], tools, tool_choice: 'none' });
  assert.equal(res.choices[0]!.message.content, 'Hello world');
  assert.equal(fake.received[0]!.body.toolConfig, undefined);
  await assert.rejects(
    client.chat.completions.create({
      model: 'claude', tools, tool_choice: 'none',
      messages: [
        { role: 'user', content: 'hi' },
        { role: 'assistant', content: null, tool_calls: [{ id: 't1', type: 'function', function: { name: 'get_weather', arguments: '{}' } }] },
        { role: 'tool', tool_call_id: 't1', content: 'ok' },
      ],
    }),
    (err: any) => err.status === 400 && err.message.includes('"tool_choice"'),
  );
  assert.equal(fake.received.length, 1);
});
