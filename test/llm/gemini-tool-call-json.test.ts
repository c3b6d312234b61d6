// Tools with a gemini model (JSON): OpenAI tools become functionDeclarations with the JSON
// Schema as parametersJsonSchema, a named tool_choice becomes mode ANY with
// allowedFunctionNames, and the functionCall comes back as a tool call with an id and JSON
// arguments, finish_reason "tool_calls".
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setupGemini, TOOLS } from './gemini-support.js';

test('gemini: tool call (JSON)', { timeout: 30_000 }, async (t) => {
  const { fake, client } = await setupGemini(t);
  const completion = await client.chat.completions.create({
    model: 'gem', messages: [{ role: 'user', content: 'weather in Paris?' }], tools: TOOLS,
    tool_choice: { type: 'function', function: { name: 'get_weather' } },
  });
  const msg = completion.choices[0]!.message;
  assert.equal(completion.choices[0]!.finish_reason, 'tool_calls');
  assert.equal(msg.content, 'Let me check.');
  assert.deepEqual(msg.tool_calls, [{ id: 'call_0', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }]);
  const sent = fake.received[0]!.body;
  assert.deepEqual(sent.tools, [{ functionDeclarations: [{ name: 'get_weather', description: 'Weather of a city', parametersJsonSchema: TOOLS[0]!.function.parameters }] }]);
  assert.deepEqual(sent.toolConfig, { functionCallingConfig: { mode: 'ANY', allowedFunctionNames: ['get_weather'] } });

  for (const [choice, mode] of [['auto', 'AUTO'], ['none', 'NONE'], ['required', 'ANY']] as const) {
    await client.chat.completions.create({ model: 'gem', messages: [{ role: 'user', content: 'x' }], tools: TOOLS, tool_choice: choice });
    assert.deepEqual(fake.received.at(-1)!.body.toolConfig, { functionCallingConfig: { mode } });
  }
});
