// Tools in a JSON chat: OpenAI function tools and tool_choice become Anthropic tools and
// tool_choice, and the tool_use answer becomes tool_calls with JSON-string arguments.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setupAnthropic } from './anthropic-support.js';

const TOOL = {
  type: 'function' as const,
  function: { name: 'get_weather', description: 'Weather for a city', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } },
};

test('anthropic: tool call in a JSON chat', { timeout: 30_000 }, async (t) => {
  const { fake, client } = await setupAnthropic(t);
  const completion = await client.chat.completions.create({
    model: 'claude', messages: [{ role: 'user', content: 'Weather in Paris?' }], tools: [TOOL], tool_choice: 'required', parallel_tool_calls: false,
  });
  const choice = completion.choices[0]!;
  assert.equal(choice.finish_reason, 'tool_calls');
  assert.equal(choice.message.content, 'Let me check.');
  assert.deepEqual(choice.message.tool_calls, [{ id: 'toolu_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }]);
  const sent = fake.received[0]!.body;
  assert.deepEqual(sent.tools, [{ name: 'get_weather', description: 'Weather for a city', input_schema: TOOL.function.parameters }]);
  assert.deepEqual(sent.tool_choice, { type: 'any', disable_parallel_tool_use: true });

  await client.chat.completions.create({ model: 'claude', messages: [{ role: 'user', content: 'x' }], tools: [TOOL], tool_choice: { type: 'function', function: { name: 'get_weather' } } });
  assert.deepEqual(fake.received[1]!.body.tool_choice, { type: 'tool', name: 'get_weather' });
  await client.chat.completions.create({ model: 'claude', messages: [{ role: 'user', content: 'x' }], tools: [TOOL], tool_choice: 'none' });
  assert.deepEqual(fake.received[2]!.body.tool_choice, { type: 'none' });
});
