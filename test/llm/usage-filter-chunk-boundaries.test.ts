// The stream usage filter gives the same output however the upstream bytes are cut:
// whole events only, the usage chunk dropped (or kept when asked), usage read once, and the
// data events counted (for estimates) the same way.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LLM_LIMIT_DEFAULTS } from '../../src/llm/spec.js';
import fc from 'fast-check';
import { OpenAIStreamUsage } from '../../src/llm/usage.js';

const content = (s: string) => `data: ${JSON.stringify({ object: 'chat.completion.chunk', choices: [{ index: 0, delta: { content: s } }], usage: null })}\n\n`;
const usageChunk = `data: ${JSON.stringify({ object: 'chat.completion.chunk', choices: [], usage: { prompt_tokens: 3, completion_tokens: 5, total_tokens: 8 } })}\n\n`;

function run(stream: Buffer, cuts: number[], drop: boolean): { out: string; filter: OpenAIStreamUsage } {
  const filter = new OpenAIStreamUsage(drop, LLM_LIMIT_DEFAULTS.maxEventBytes);
  const points = [...new Set(cuts.map((c) => c % (stream.length + 1)))].sort((a, b) => a - b);
  let out = '';
  let prev = 0;
  for (const p of [...points, stream.length]) {
    const part = filter.push(stream.subarray(prev, p));
    // Only whole events are ever forwarded.
    assert.ok(part.length === 0 || part.toString().endsWith('\n\n'), JSON.stringify(part.toString()));
    out += part.toString();
    prev = p;
  }
  out += filter.flush()?.toString() ?? '';
  return { out, filter };
}

test('usage chunk handling is independent of chunk boundaries', () => {
  fc.assert(fc.property(
    fc.array(fc.string({ maxLength: 12 }), { maxLength: 6 }),
    fc.array(fc.nat(), { maxLength: 10 }),
    fc.boolean(),
    (parts, cuts, drop) => {
      const body = parts.map(content).join('');
      const stream = Buffer.from(body + usageChunk + 'data: [DONE]\n\n');
      const { out, filter } = run(stream, cuts, drop);
      assert.equal(out, drop ? body + 'data: [DONE]\n\n' : stream.toString());
      assert.deepEqual(filter.usage, { inputTokens: 3, outputTokens: 5, cacheReadTokens: null, cacheWriteTokens: null });
      // Every data event after the first: the content chunks but one, the usage chunk and [DONE].
      assert.equal(filter.outputEvents, parts.length + 1);
    },
  ), { numRuns: 300 });
});
