// The Gemini stream translator gives the same OpenAI events however the upstream bytes are
// cut (inside an event, a CRLF or a multi-byte character), with CRLF or LF line endings, and
// its output is always whole events.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { compileConfig, loadConfigText } from '../../src/gateway/config.js';
import type { LlmModelSpec } from '../../src/llm/spec.js';
import { GeminiStreamTranslator } from '../../src/llm/providers/gemini.js';
import { sse } from './gemini-support.js';

const config = compileConfig(loadConfigText(`listeners:
  - { name: edge, port: 0, routes: [{ name: llm, match: { path: /v1 }, backend: models }] }
backends:
  models:
    llm: { models: [{ name: gem, provider: gemini, model: gemini-2.0-flash, apiKey: AIza-test-key-0123 }] }
`, 'test.yaml', {}));
const backend = config.backends.get('models');
assert.ok(backend?.kind === 'llm');
const model: LlmModelSpec = backend.models[0]!;

function upstream(texts: string[], calls: Record<string, string>[], crlf: boolean): Buffer {
  const events = texts.map((t) => sse({ candidates: [{ content: { role: 'model', parts: [{ text: t }] }, index: 0 }], usageMetadata: { promptTokenCount: 4 }, responseId: 'r1' }));
  const parts = calls.map((args, i) => ({ functionCall: { name: `f${i}`, args } }));
  events.push(sse({ candidates: [{ content: { role: 'model', parts }, finishReason: 'STOP', index: 0 }], usageMetadata: { promptTokenCount: 4, candidatesTokenCount: 6, totalTokenCount: 10 }, responseId: 'r1' }));
  const text = events.join('');
  return Buffer.from(crlf ? text : text.replace(/\r\n/g, '\n'));
}

function translate(stream: Buffer, cuts: number[], includeUsage: boolean): { out: string; tr: GeminiStreamTranslator } {
  const tr = new GeminiStreamTranslator(model, includeUsage);
  const points = [...new Set(cuts.map((c) => c % (stream.length + 1)))].sort((a, b) => a - b);
  let out = '';
  let prev = 0;
  for (const p of [...points, stream.length]) {
    const part = tr.push(stream.subarray(prev, p));
    assert.ok(part === '' || part.endsWith('\n\n'), JSON.stringify(part));
    out += part;
    prev = p;
  }
  return { out: out.replace(/"created":\d+/g, '"created":0'), tr };
}

test('gemini stream translation is independent of chunk boundaries', () => {
  fc.assert(fc.property(
    fc.array(fc.string({ unit: 'grapheme', maxLength: 8 }), { maxLength: 5 }),
    fc.array(fc.dictionary(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 4 }), fc.string({ unit: 'grapheme', maxLength: 6 }), { maxKeys: 3 }), { maxLength: 3 }),
    fc.array(fc.nat(), { maxLength: 12 }),
    fc.boolean(),
    fc.boolean(),
    (texts, calls, cuts, crlf, includeUsage) => {
      const stream = upstream(texts, calls, crlf);
      const whole = translate(stream, [], includeUsage);
      const cut = translate(stream, cuts, includeUsage);
      assert.equal(cut.out, whole.out);
      assert.ok(cut.tr.finished && !cut.tr.failed);
      assert.deepEqual(cut.tr.usage, { inputTokens: 4, outputTokens: 6, cacheReadTokens: 0, cacheWriteTokens: null });
      const events = cut.out.split('\n\n').filter((e) => e !== '');
      assert.equal(events.at(-1), 'data: [DONE]');
      const chunks = events.slice(0, -1).map((e) => JSON.parse(e.slice('data: '.length)));
      assert.equal(chunks[0].choices[0].delta.role, 'assistant');
      assert.equal(chunks.map((c) => c.choices[0]?.delta.content ?? '').join(''), texts.join(''));
      const deltas = chunks.flatMap((c) => c.choices[0]?.delta.tool_calls ?? []);
      assert.deepEqual(deltas.map((d: { function: { arguments: string } }) => JSON.parse(d.function.arguments)), JSON.parse(JSON.stringify(calls)));
      assert.deepEqual(deltas.map((d: { index: number; id: string }) => [d.index, d.id]), calls.map((_, i) => [i, `call_${i}`]));
      const finish = chunks.filter((c) => c.choices[0]?.finish_reason != null);
      assert.equal(finish.length, 1);
      assert.equal(finish[0].choices[0].finish_reason, calls.length > 0 ? 'tool_calls' : 'stop');
      assert.equal(chunks.filter((c) => c.usage !== undefined).length, includeUsage ? 1 : 0);
    },
  ), { numRuns: 300 });
});
