// The Anthropic stream translator gives the same OpenAI events however the upstream bytes
// are cut (inside an event, a line ending or a multi-byte character), with LF or CRLF line
// endings, and its output is always whole events.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { compileConfig, loadConfigText } from '../../src/gateway/config.js';
import type { LlmModelSpec } from '../../src/llm/spec.js';
import { AnthropicStreamTranslator } from '../../src/llm/providers/anthropic.js';
import { sse } from './anthropic-support.js';

const config = compileConfig(loadConfigText(`listeners:
  - { name: edge, port: 0, routes: [{ name: llm, match: { path: /v1 }, backend: models }] }
backends:
  models:
    llm: { models: [{ name: claude, provider: anthropic, apiKey: sk-ant-test-key-0123 }] }
`, 'test.yaml', {}));
const backend = config.backends.get('models');
assert.ok(backend?.kind === 'llm');
const model: LlmModelSpec = backend.models[0]!;

function upstream(texts: string[], args: string[], crlf: boolean): Buffer {
  const events = [sse({ type: 'message_start', message: { id: 'msg_1', type: 'message', role: 'assistant', content: [], model: 'm', stop_reason: null, stop_sequence: null, usage: { input_tokens: 4, output_tokens: 1 } } })];
  events.push(sse({ type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }));
  for (const t of texts) events.push(sse({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: t } }), sse({ type: 'ping' }));
  events.push(sse({ type: 'content_block_stop', index: 0 }));
  events.push(sse({ type: 'content_block_start', index: 1, content_block: { type: 'tool_use', id: 'toolu_1', name: 'f', input: {} } }));
  for (const a of args) events.push(sse({ type: 'content_block_delta', index: 1, delta: { type: 'input_json_delta', partial_json: a } }));
  events.push(sse({ type: 'content_block_stop', index: 1 }));
  events.push(sse({ type: 'message_delta', delta: { stop_reason: 'tool_use', stop_sequence: null }, usage: { output_tokens: 6 } }));
  events.push(sse({ type: 'message_stop' }));
  const text = events.join('');
  return Buffer.from(crlf ? text.replace(/\n/g, '\r\n') : text);
}

function translate(stream: Buffer, cuts: number[], includeUsage: boolean): { out: string; tr: AnthropicStreamTranslator } {
  const tr = new AnthropicStreamTranslator(model, includeUsage);
  const points = [...new Set(cuts.map((c) => c % (stream.length + 1)))].sort((a, b) => a - b);
  let out = '';
  let prev = 0;
  for (const p of [...points, stream.length]) {
    const part = tr.push(stream.subarray(prev, p));
    assert.ok(part === '' || part.endsWith('\n\n'), JSON.stringify(part));
    out += part;
    prev = p;
  }
  // "created" is the second the translator was made; it is not what is under test.
  return { out: out.replace(/"created":\d+/g, '"created":0'), tr };
}

test('anthropic stream translation is independent of chunk boundaries', () => {
  fc.assert(fc.property(
    fc.array(fc.string({ unit: 'grapheme', maxLength: 8 }), { maxLength: 5 }),
    fc.array(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 6 }), { maxLength: 4 }),
    fc.array(fc.nat(), { maxLength: 12 }),
    fc.boolean(),
    fc.boolean(),
    (texts, args, cuts, crlf, includeUsage) => {
      const stream = upstream(texts, args, crlf);
      const whole = translate(stream, [], includeUsage);
      const cut = translate(stream, cuts, includeUsage);
      assert.equal(cut.out, whole.out);
      assert.ok(cut.tr.finished && !cut.tr.failed);
      assert.deepEqual(cut.tr.usage, { inputTokens: 4, outputTokens: 6, cacheReadTokens: 0, cacheWriteTokens: 0 });
      const events = cut.out.split('\n\n').filter((e) => e !== '');
      assert.equal(events.at(-1), 'data: [DONE]');
      const chunks = events.slice(0, -1).map((e) => JSON.parse(e.slice('data: '.length)));
      assert.equal(chunks.map((c) => c.choices[0]?.delta.content ?? '').join(''), texts.join(''));
      const argText = chunks.flatMap((c) => c.choices[0]?.delta.tool_calls ?? []).map((c: { function: { arguments: string } }) => c.function.arguments).join('');
      assert.equal(argText, args.join(''));
      assert.equal(chunks.filter((c) => c.usage !== undefined).length, includeUsage ? 1 : 0);
    },
  ), { numRuns: 300 });
});
