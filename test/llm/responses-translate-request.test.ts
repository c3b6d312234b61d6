// Responses request → OpenAI chat request (responses-translate.ts): every field is
// translated, accepted, or refused with a 400 that names it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { compileConfig, loadConfigText } from '../../src/gateway/config.js';
import type { LlmModelSpec } from '../../src/llm/spec.js';
import { GatewayError } from '../../src/core/index.js';
import { responsesToChat } from '../../src/llm/responses-translate.js';

const config = compileConfig(loadConfigText(`listeners:
  - { name: edge, port: 0, routes: [{ name: llm, match: { path: /v1 }, backend: models }] }
backends:
  models:
    llm:
      models:
        - { name: claude, provider: anthropic, model: claude-sonnet-4-5, apiKey: sk-ant-test-key-0123 }
        - { name: local, provider: openai-compatible, model: llama3, baseUrl: "http://127.0.0.1:1/v1" }
        - { name: gpt, provider: openai, model: gpt-4o-mini, apiKey: sk-test-key-0123456 }
`, 'test.yaml', {}));
const backend = config.backends.get('models');
assert.ok(backend?.kind === 'llm');
const claude: LlmModelSpec = backend.models[0]!;
const local: LlmModelSpec = backend.models[1]!;
const gpt: LlmModelSpec = backend.models[2]!;

function chat(body: Record<string, unknown>, model = claude): Record<string, unknown> {
  return responsesToChat({ model: 'claude', ...body }, model);
}

/** Asserts a 400 AE_BAD_REQUEST whose message names `field`. */
function refused(body: Record<string, unknown>, field: string): void {
  assert.throws(() => chat(body), (err: unknown) => {
    assert.ok(err instanceof GatewayError, String(err));
    assert.equal(err.code, 'AE_BAD_REQUEST');
    assert.equal(err.status, 400);
    assert.ok(err.publicMessage.includes(field), `${err.publicMessage} should name ${field}`);
    return true;
  });
}

test('a string input becomes one user message; instructions a leading system message', () => {
  assert.deepEqual(chat({ input: 'Hi', instructions: 'Be brief.' }), {
    model: 'claude-sonnet-4-5',
    messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Hi' }],
  });
});

test('message items: roles, text parts, developer → system, easy messages without type', () => {
  const out = chat({
    input: [
      { role: 'developer', content: 'Rules.' },
      { type: 'message', role: 'system', content: [{ type: 'input_text', text: 'More rules.' }] },
      { role: 'user', content: [{ type: 'input_text', text: 'a' }, { type: 'input_text', text: 'b' }] },
      { type: 'message', id: 'msg_1', status: 'completed', role: 'assistant', content: [{ type: 'output_text', text: 'Hel', annotations: [] }, { type: 'output_text', text: 'lo', annotations: [], logprobs: [] }] },
      { role: 'user', content: [{ type: 'input_text', text: 'one part' }] },
    ],
  });
  assert.deepEqual(out.messages, [
    { role: 'system', content: 'Rules.' },
    { role: 'system', content: 'More rules.' },
    { role: 'user', content: [{ type: 'text', text: 'a' }, { type: 'text', text: 'b' }] },
    { role: 'assistant', content: 'Hello' },
    { role: 'user', content: 'one part' },
  ]);
});

test('input_image: URL and data URL pass as image_url parts with detail; file_id is refused', () => {
  const out = chat({
    input: [{ role: 'user', content: [
      { type: 'input_text', text: 'What is this?' },
      { type: 'input_image', image_url: 'https://example.com/cat.png', detail: 'low' },
      { type: 'input_image', image_url: 'data:image/png;base64,iVBORw0KGgo=' },
    ] }],
  });
  assert.deepEqual(out.messages, [{ role: 'user', content: [
    { type: 'text', text: 'What is this?' },
    { type: 'image_url', image_url: { url: 'https://example.com/cat.png', detail: 'low' } },
    { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } },
  ] }]);
  refused({ input: [{ role: 'user', content: [{ type: 'input_image', file_id: 'file-123', detail: 'auto' }] }] }, 'input[0].content[0].file_id');
  refused({ input: [{ role: 'user', content: [{ type: 'input_file', file_id: 'file-123' }] }] }, 'input[0].content[0] (input_file part)');
  refused({ input: [{ role: 'system', content: [{ type: 'input_image', image_url: 'https://x/y.png' }] }] }, 'input[0].content[0] (input_image part)');
  refused({ input: [{ role: 'assistant', content: [{ type: 'refusal', refusal: 'no' }] }] }, 'input[0].content[0] (refusal part)');
});

test('function_call items join one assistant message; outputs become tool messages', () => {
  const out = chat({
    input: [
      { role: 'user', content: 'Weather in Paris and Rome?' },
      { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'Let me check.' }] },
      { type: 'function_call', id: 'fc_1', call_id: 'call_a', name: 'get_weather', arguments: '{"city":"Paris"}', status: 'completed' },
      { type: 'function_call', call_id: 'call_b', name: 'get_weather', arguments: '{"city":"Rome"}' },
      { type: 'function_call_output', call_id: 'call_a', output: '18C' },
      { type: 'function_call_output', call_id: 'call_b', output: [{ type: 'input_text', text: '22C' }, { type: 'input_text', text: 'sunny' }] },
      { type: 'function_call', call_id: 'call_c', name: 'get_time', arguments: '{}' },
    ],
  });
  assert.deepEqual(out.messages, [
    { role: 'user', content: 'Weather in Paris and Rome?' },
    { role: 'assistant', content: 'Let me check.', tool_calls: [
      { id: 'call_a', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
      { id: 'call_b', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Rome"}' } },
    ] },
    { role: 'tool', tool_call_id: 'call_a', content: '18C' },
    { role: 'tool', tool_call_id: 'call_b', content: '22C\nsunny' },
    { role: 'assistant', content: null, tool_calls: [{ id: 'call_c', type: 'function', function: { name: 'get_time', arguments: '{}' } }] },
  ]);
  refused({ input: [{ type: 'function_call_output', call_id: 'c', output: [{ type: 'input_image', image_url: 'https://x/y.png' }] }] }, 'input[0].output[0] (input_image part)');
});

test('other input item types are refused by name; item_reference as stateful', () => {
  refused({ input: [{ type: 'reasoning', id: 'rs_1', summary: [] }] }, 'input[0] (reasoning item)');
  refused({ input: [{ type: 'web_search_call', id: 'ws_1' }] }, 'input[0] (web_search_call item)');
  refused({ input: [{ type: 'item_reference', id: 'msg_1' }] }, 'input[0] (item_reference)');
  refused({ input: [{ role: 'tool', content: 'x' }] }, 'input[0].role');
  refused({ input: 42 }, 'input');
});

test('function tools → chat function tools; built-in tools refused naming them', () => {
  const out = chat({
    input: 'x',
    tools: [
      { type: 'function', name: 'get_weather', description: 'Weather', parameters: { type: 'object', properties: { city: { type: 'string' } } }, strict: false },
      { type: 'function', name: 'ping', parameters: null, strict: null },
    ],
  });
  assert.deepEqual(out.tools, [
    { type: 'function', function: { name: 'get_weather', description: 'Weather', parameters: { type: 'object', properties: { city: { type: 'string' } } }, strict: false } },
    { type: 'function', function: { name: 'ping' } },
  ]);
  for (const type of ['web_search', 'web_search_preview', 'file_search', 'code_interpreter', 'mcp', 'computer_use_preview', 'image_generation', 'custom']) {
    refused({ input: 'x', tools: [{ type }] }, `tools[0] (${type} tool)`);
  }
  refused({ input: 'x', tools: [{ type: 'function', name: 'f', defer_loading: true }] }, 'tools[0].defer_loading');
  refused({ input: 'x', tools: [{ type: 'function', name: 'f', output_schema: { type: 'object' } }] }, 'tools[0].output_schema');
  refused({ input: 'x', tools: [{ type: 'function', name: 'f', cache: true }] }, 'tools[0].cache');
});

test('tool_choice: strings pass, a function choice nests its name, others are refused', () => {
  for (const c of ['auto', 'none', 'required']) assert.equal(chat({ input: 'x', tool_choice: c }).tool_choice, c);
  assert.deepEqual(chat({ input: 'x', tool_choice: { type: 'function', name: 'f' } }).tool_choice, { type: 'function', function: { name: 'f' } });
  refused({ input: 'x', tool_choice: { type: 'file_search' } }, 'tool_choice (file_search)');
  refused({ input: 'x', tool_choice: { type: 'allowed_tools', mode: 'auto', tools: [] } }, 'tool_choice (allowed_tools)');
});

test('text.format → response_format; verbosity → verbosity', () => {
  assert.equal(chat({ input: 'x', text: { format: { type: 'text' } } }).response_format, undefined);
  assert.deepEqual(chat({ input: 'x', text: { format: { type: 'json_object' } } }).response_format, { type: 'json_object' });
  const schema = { type: 'object', properties: { a: { type: 'string' } }, required: ['a'], additionalProperties: false };
  assert.deepEqual(chat({ input: 'x', text: { format: { type: 'json_schema', name: 'out', schema, strict: true, description: 'd' } } }).response_format, {
    type: 'json_schema', json_schema: { name: 'out', schema, description: 'd', strict: true },
  });
  assert.equal(chat({ input: 'x', text: { verbosity: 'low' } }).verbosity, 'low');
  refused({ input: 'x', text: { format: { type: 'grammar' } } }, 'text.format (grammar)');
  refused({ input: 'x', text: { other: 1 } }, 'text.other');
});

test('max_output_tokens → max_completion_tokens for openai, max_tokens for the others', () => {
  assert.equal(chat({ input: 'x', max_output_tokens: 50 }).max_tokens, 50);
  assert.equal(chat({ input: 'x', max_output_tokens: 50 }, local).max_tokens, 50);
  const o = chat({ input: 'x', max_output_tokens: 50 }, gpt);
  assert.equal(o.max_completion_tokens, 50);
  assert.equal(o.max_tokens, undefined);
  assert.equal(o.model, 'gpt-4o-mini');
  refused({ input: 'x', max_output_tokens: 0 }, 'max_output_tokens');
});

test('sampling, parallel_tool_calls, user and safety_identifier pass; nulls mean unset', () => {
  const out = chat({ input: 'x', temperature: 0.2, top_p: 0.9, parallel_tool_calls: false, user: 'u1', max_output_tokens: null, instructions: null });
  assert.deepEqual(out, { model: 'claude-sonnet-4-5', messages: [{ role: 'user', content: 'x' }], temperature: 0.2, top_p: 0.9, parallel_tool_calls: false, user: 'u1' });
  assert.equal(chat({ input: 'x', safety_identifier: 's1' }).user, 's1');
  refused({ input: 'x', user: 'a', safety_identifier: 'b' }, 'safety_identifier');
  refused({ input: 'x', temperature: 'hot' }, 'temperature');
});

test('stream always asks for usage; stream_options.include_obfuscation is accepted', () => {
  const out = chat({ input: 'x', stream: true, stream_options: { include_obfuscation: false } });
  assert.equal(out.stream, true);
  assert.deepEqual(out.stream_options, { include_usage: true });
  assert.equal(chat({ input: 'x', stream: false }).stream, undefined);
  refused({ input: 'x', stream_options: { include_usage: true } }, 'stream_options.include_usage');
});

test('metadata and store are accepted and not sent upstream', () => {
  const out = chat({ input: 'x', metadata: { team: 'a' }, store: true });
  assert.equal(out.metadata, undefined);
  assert.equal(out.store, undefined);
  assert.deepEqual(Object.keys(chat({ input: 'x', store: false })), ['model', 'messages']);
  refused({ input: 'x', metadata: { n: 1 } }, 'metadata.n');
});

test('stateful and hosted fields are refused naming them', () => {
  refused({ input: 'x', previous_response_id: 'resp_1' }, 'previous_response_id');
  refused({ input: 'x', conversation: 'conv_1' }, 'conversation');
  refused({ input: 'x', conversation: { id: 'conv_1' } }, 'conversation');
  refused({ input: 'x', prompt: { id: 'pmpt_1' } }, 'prompt');
  refused({ input: 'x', background: true }, 'background');
  refused({ input: 'x', context_management: [{ type: 'compaction' }] }, 'context_management');
  refused({ input: 'x', moderation: { model: 'omni-moderation-latest' } }, 'moderation');
  // Their null / default values are fine.
  chat({ input: 'x', previous_response_id: null, conversation: null, background: false, prompt: null });
});

test('reasoning.effort → reasoning_effort; summaries accepted; other reasoning controls refused', () => {
  assert.equal(chat({ input: 'x', reasoning: { effort: 'low', summary: 'auto' } }).reasoning_effort, 'low');
  assert.equal(chat({ input: 'x', reasoning: { effort: null } }).reasoning_effort, undefined);
  refused({ input: 'x', reasoning: { effort: 'extreme' } }, 'reasoning.effort');
  refused({ input: 'x', reasoning: { mode: 'pro' } }, 'reasoning.mode');
  refused({ input: 'x', reasoning: { budget: 5 } }, 'reasoning.budget');
});

test('defaults accepted, other values refused: include, service_tier, top_logprobs, truncation', () => {
  chat({ input: 'x', include: ['reasoning.encrypted_content'], service_tier: 'auto', top_logprobs: 0, truncation: 'disabled', max_tool_calls: 3, prompt_cache_key: 'k', prompt_cache_retention: '24h' });
  refused({ input: 'x', include: ['message.output_text.logprobs'] }, 'include (message.output_text.logprobs)');
  refused({ input: 'x', service_tier: 'flex' }, 'service_tier (flex)');
  refused({ input: 'x', top_logprobs: 3 }, 'top_logprobs');
  refused({ input: 'x', truncation: 'auto' }, 'truncation (auto)');
});

test('any unknown top-level field is refused naming it', () => {
  fc.assert(fc.property(
    fc.string({ minLength: 1, maxLength: 12 }).filter((k) => !['model', 'input', 'instructions', 'max_output_tokens', 'temperature', 'top_p', 'parallel_tool_calls', 'user', 'safety_identifier', 'metadata', 'stream', 'stream_options', 'store', 'tools', 'tool_choice', 'text', 'reasoning', 'include', 'background', 'conversation', 'previous_response_id', 'prompt', 'context_management', 'moderation', 'prompt_cache_key', 'prompt_cache_options', 'prompt_cache_retention', 'service_tier', 'top_logprobs', 'truncation', 'max_tool_calls', '__proto__'].includes(k)),
    (key) => { refused({ input: 'x', [key]: 1 }, `"${key}"`); },
  ));
});

test('round trip: text items translate to the same texts, in order, with the same roles', () => {
  const role = fc.constantFrom('user', 'assistant', 'system', 'developer');
  fc.assert(fc.property(fc.array(fc.tuple(role, fc.string(), fc.boolean()), { minLength: 1, maxLength: 8 }), (items) => {
    const input = items.map(([r, text, asParts]) => ({
      role: r, content: asParts ? [{ type: r === 'assistant' ? 'output_text' : 'input_text', text }] : text,
    }));
    const messages = chat({ input }).messages as { role: string; content: unknown }[];
    assert.equal(messages.length, items.length);
    messages.forEach((m, i) => {
      const [r, text] = items[i]!;
      assert.equal(m.role, r === 'developer' ? 'system' : r);
      assert.equal(m.content, text);
    });
  }));
});
