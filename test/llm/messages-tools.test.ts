// A tool round trip through the Anthropic front over an OpenAI model: tools and tool_choice
// become OpenAI functions, the upstream's tool call comes back as a tool_use block, and
// the client's tool_result goes upstream as a tool message after the assistant's call.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setupMessages } from './messages-support.js';

const tools = [{ name: 'get_weather', description: 'Weather of a city', input_schema: { type: 'object' as const, properties: { city: { type: 'string' } }, required: ['city'] } }];

test('tool_use out, tool_result back', { timeout: 30_000 }, async (t) => {
  const { fake, client } = await setupMessages(t);
  const first = await client.messages.create({
    model: 'fast', max_tokens: 100, tools, tool_choice: { type: 'any', disable_parallel_tool_use: true },
    messages: [{ role: 'user', content: 'Weather in Paris?' }],
  });
  assert.equal(first.stop_reason, 'tool_use');
  assert.deepEqual(first.content, [{ type: 'tool_use', id: 'call_1', name: 'get_weather', input: { city: 'Paris' } }]);
  assert.deepEqual(fake.received[0]!.body.tools, [{ type: 'function', function: { name: 'get_weather', description: 'Weather of a city', parameters: tools[0]!.input_schema } }]);
  assert.equal(fake.received[0]!.body.tool_choice, 'required');
  assert.equal(fake.received[0]!.body.parallel_tool_calls, false);

  // The second turn: the fake answers text when the request has no tools.
  const second = await client.messages.create({
    model: 'fast', max_tokens: 100, tool_choice: { type: 'tool', name: 'get_weather' }, tools,
    messages: [
      { role: 'user', content: 'Weather in Paris?' },
      { role: 'assistant', content: first.content },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'call_1', content: [{ type: 'text', text: 'Sunny, 21°C' }] }, { type: 'text', text: 'Thanks' }] },
    ],
  });
  assert.equal(second.content[0]!.type, 'tool_use');
  const up = fake.received[1]!.body;
  assert.deepEqual(up.tool_choice, { type: 'function', function: { name: 'get_weather' } });
  assert.deepEqual(up.messages.slice(1), [
    { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }] },
    { role: 'tool', tool_call_id: 'call_1', content: 'Sunny, 21°C' },
    { role: 'user', content: [{ type: 'text', text: 'Thanks' }] },
  ]);

  await client.messages.create({
    model: 'fast', max_tokens: 100, tool_choice: { type: 'none' }, tools,
    messages: [
      { role: 'user', content: 'Weather in Paris?' },
      { role: 'assistant', content: [{ type: 'text', text: 'Checking.' }, { type: 'tool_use', id: 'call_9', name: 'get_weather', input: { city: 'Paris' } }] },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'call_9', content: 'no data', is_error: true }] },
    ],
  });
  const third = fake.received[2]!.body;
  assert.equal(third.tool_choice, 'none');
  assert.equal(third.messages[1].content, 'Checking.');
  assert.deepEqual(third.messages[2], { role: 'tool', tool_call_id: 'call_9', content: 'Error: no data' });
});
