// The Bedrock stream translator gives the same OpenAI events however the event-stream bytes
// are cut (inside a prelude, a header, a payload or a CRC), and its output is always whole
// SSE events; a request translation round trip keeps tool calls intact.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { compileConfig, loadConfigText } from '../../src/gateway/config.js';
import type { LlmModelSpec } from '../../src/llm/spec.js';
import { BedrockStreamTranslator, toConverseRequest } from '../../src/llm/providers/bedrock.js';
import { eventFrame } from './bedrock-support.js';

const config = compileConfig(loadConfigText(`listeners:
  - { name: edge, port: 0, routes: [{ name: llm, match: { path: /v1 }, backend: models }] }
backends:
  models:
    llm: { models: [{ name: claude, provider: bedrock, model: "anthropic.claude-3-5-sonnet-20240620-v1:0", region: us-east-1, aws: { accessKeyId: AKIDTEST, secretAccessKey: test-secret-0123456789 } }] }
`, 'test.yaml', {}));
const backend = config.backends.get('models');
assert.ok(backend?.kind === 'llm');
const model: LlmModelSpec = backend.models[0]!;

function upstream(texts: string[], args: string[]): Buffer {
  const frames = [eventFrame('messageStart', { role: 'assistant' })];
  for (const t of texts) frames.push(eventFrame('contentBlockDelta', { contentBlockIndex: 0, delta: { text: t } }));
  frames.push(eventFrame('contentBlockStop', { contentBlockIndex: 0 }));
  frames.push(eventFrame('contentBlockStart', { contentBlockIndex: 1, start: { toolUse: { toolUseId: 'tooluse_1', name: 'f' } } }));
  for (const a of args) frames.push(eventFrame('contentBlockDelta', { contentBlockIndex: 1, delta: { toolUse: { input: a } } }));
  frames.push(eventFrame('contentBlockStop', { contentBlockIndex: 1 }));
  frames.push(eventFrame('messageStop', { stopReason: 'tool_use' }));
  frames.push(eventFrame('metadata', { usage: { inputTokens: 4, outputTokens: 6, totalTokens: 10 }, metrics: { latencyMs: 1 } }));
  return Buffer.concat(frames);
}

function translate(stream: Buffer, cuts: number[], includeUsage: boolean): { out: string; tr: BedrockStreamTranslator } {
  const tr = new BedrockStreamTranslator(model, includeUsage);
  const points = [...new Set(cuts.map((c) => c % (stream.length + 1)))].sort((a, b) => a - b);
  let out = '';
  let prev = 0;
  for (const p of [...points, stream.length]) {
    const part = tr.push(stream.subarray(prev, p));
    assert.ok(part === '' || part.endsWith('\n\n'), JSON.stringify(part));
    out += part;
    prev = p;
  }
  // The id and "created" are fresh per translator; they are not what is under test.
  return { out: out.replace(/"created":\d+/g, '"created":0').replace(/"id":"chatcmpl-[0-9a-f]+"/g, '"id":"x"'), tr };
}

test('bedrock stream translation is independent of chunk boundaries', () => {
  fc.assert(fc.property(
    fc.array(fc.string({ unit: 'grapheme', maxLength: 8 }), { maxLength: 5 }),
    fc.array(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 6 }), { maxLength: 4 }),
    fc.array(fc.nat(), { maxLength: 12 }),
    fc.boolean(),
    (texts, args, cuts, includeUsage) => {
      const stream = upstream(texts, args);
      const whole = translate(stream, [], includeUsage);
      const cut = translate(stream, cuts, includeUsage);
      assert.equal(cut.out, whole.out);
      assert.ok(cut.tr.finished && !cut.tr.failed);
      assert.deepEqual(cut.tr.usage, { inputTokens: 4, outputTokens: 6, cacheReadTokens: 0, cacheWriteTokens: 0 });
      const events = cut.out.split('\n\n').filter((e) => e !== '');
      assert.equal(events.at(-1), 'data: [DONE]');
      const chunks = events.slice(0, -1).map((e) => JSON.parse(e.slice('data: '.length)));
      assert.equal(chunks.map((c) => c.choices[0]?.delta?.content ?? '').join(''), texts.join(''));
      const argText = chunks.flatMap((c) => c.choices[0]?.delta?.tool_calls ?? []).map((t: any) => t.function.arguments).join('');
      assert.equal(argText, args.join(''));
      assert.equal(chunks.filter((c) => c.usage !== undefined).length, includeUsage ? 1 : 0);
    },
  ), { numRuns: 200 });
});

test('bedrock request translation keeps tool calls and results (round trip)', () => {
  fc.assert(fc.property(
    fc.dictionary(fc.string({ minLength: 1, maxLength: 6 }).filter((k) => k !== '__proto__'), fc.oneof(fc.string(), fc.integer(), fc.boolean()), { maxKeys: 4 }),
    fc.string({ minLength: 1, maxLength: 20 }),
    (input, result) => {
      const out = toConverseRequest({
        model: 'claude',
        messages: [
          { role: 'user', content: 'go' },
          { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'f', arguments: JSON.stringify(input) } }] },
          { role: 'tool', tool_call_id: 'call_1', content: result },
        ],
        tools: [{ type: 'function', function: { name: 'f', parameters: { type: 'object' } } }],
      }) as any;
      assert.deepEqual(out.messages[1].content[0].toolUse, { toolUseId: 'call_1', name: 'f', input: JSON.parse(JSON.stringify(input)) });
      assert.deepEqual(out.messages[2].content[0].toolResult, { toolUseId: 'call_1', content: [{ text: result }] });
    },
  ));
});
