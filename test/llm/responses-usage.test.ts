// Usage on the Responses pass-through path (responses-usage.ts): events forwarded whole and
// unchanged, usage read from response.completed / .incomplete, at any chunk boundary.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LLM_LIMIT_DEFAULTS } from '../../src/llm/spec.js';
import fc from 'fast-check';
import { ResponsesStreamUsage, responseJsonUsage } from '../../src/llm/responses-usage.js';

function ev(type: string, data: Record<string, unknown>, seq: number): string {
  return `event: ${type}\ndata: ${JSON.stringify({ type, sequence_number: seq, ...data })}\n\n`;
}

const USAGE = { input_tokens: 120, input_tokens_details: { cached_tokens: 100, cache_write_tokens: 3 }, output_tokens: 17, output_tokens_details: { reasoning_tokens: 4 }, total_tokens: 137 };

function stream(texts: string[], final: 'response.completed' | 'response.incomplete', instructions: string, crlf: boolean): Buffer {
  const base = { id: 'resp_1', object: 'response', instructions, output: [], usage: null, metadata: {} };
  const out = [ev('response.created', { response: { ...base, status: 'in_progress' } }, 0)];
  let seq = 1;
  // Text that talks about usage must not be taken for it.
  for (const t of texts) out.push(ev('response.output_text.delta', { item_id: 'msg_1', output_index: 0, content_index: 0, delta: `${t} "usage":{"input_tokens":999}` }, seq++));
  out.push(ev(final, { response: { ...base, status: final.slice(9), output: [{ type: 'message', content: [{ type: 'output_text', text: texts.join('') }] }], usage: USAGE, user: null } }, seq));
  const text = out.join('');
  return Buffer.from(crlf ? text.replace(/\n/g, '\r\n') : text);
}

function run(buf: Buffer, cuts: number[]): { out: Buffer; u: ResponsesStreamUsage; pieces: Buffer[] } {
  const u = new ResponsesStreamUsage(LLM_LIMIT_DEFAULTS.maxEventBytes);
  const points = [...new Set(cuts.map((c) => c % (buf.length + 1)))].sort((a, b) => a - b);
  const pieces: Buffer[] = [];
  let prev = 0;
  for (const p of [...points, buf.length]) {
    pieces.push(u.push(buf.subarray(prev, p)));
    prev = p;
  }
  const rest = u.flush();
  if (rest !== null) pieces.push(rest);
  return { out: Buffer.concat(pieces), u, pieces };
}

const EXPECTED = { inputTokens: 120, outputTokens: 17, cacheReadTokens: 100, cacheWriteTokens: 3 };

test('usage is read from response.completed; the bytes pass unchanged', () => {
  const buf = stream(['Hello', ' world'], 'response.completed', 'Be brief.', false);
  const { out, u } = run(buf, []);
  assert.ok(out.equals(buf));
  assert.deepEqual(u.usage, EXPECTED);
});

test('response.incomplete carries usage too; response.created (usage null) gives none', () => {
  assert.deepEqual(run(stream(['a'], 'response.incomplete', '', false), []).u.usage, EXPECTED);
  const created = stream([], 'response.completed', '', false).toString().split('\n\n')[0]! + '\n\n';
  assert.equal(run(Buffer.from(created), []).u.usage, null);
});

test('whatever the chunk boundaries: same bytes, same usage, only whole events forwarded', () => {
  fc.assert(fc.property(
    fc.array(fc.string({ unit: 'grapheme', maxLength: 8 }), { maxLength: 5 }),
    fc.array(fc.nat(), { maxLength: 15 }),
    fc.boolean(),
    fc.constantFrom('response.completed' as const, 'response.incomplete' as const),
    fc.string({ unit: 'grapheme', maxLength: 40 }),
    (texts, cuts, crlf, final, instructions) => {
      const buf = stream(texts, final, instructions, crlf);
      const { out, u, pieces } = run(buf, cuts);
      assert.ok(out.equals(buf));
      assert.deepEqual(u.usage, EXPECTED);
      const sep = crlf ? '\r\n\r\n' : '\n\n';
      for (const p of pieces) assert.ok(p.length === 0 || p.toString().endsWith(sep));
    },
  ));
});

test('a final event of 1.5 MB (within the event cap) is forwarded whole and its usage read', () => {
  const big = 'x'.repeat(1_500_000);
  const buf = stream([big], 'response.completed', big, false);
  const cuts = [];
  for (let i = 65_536; i < buf.length; i += 65_536) cuts.push(i);
  const { out, u } = run(buf, cuts);
  assert.ok(out.equals(buf));
  assert.deepEqual(u.usage, EXPECTED);
});

test('responseJsonUsage reads a whole response object', () => {
  const body = JSON.stringify({ id: 'resp_1', object: 'response', output: [{ type: 'message', content: [{ type: 'output_text', text: '"usage":{"input_tokens":5}' }] }], usage: USAGE, user: null, metadata: { a: 'b' } });
  assert.deepEqual(responseJsonUsage(body), EXPECTED);
  assert.deepEqual(responseJsonUsage(Buffer.from(body)), EXPECTED);
  assert.equal(responseJsonUsage('{"id":"resp_1","usage":null}'), null);
  assert.equal(responseJsonUsage('{"error":{"message":"x"}}'), null);
});

test('the last sequence_number passed on is kept, at any chunk boundary; a held unfinished event does not count', () => {
  fc.assert(fc.property(
    fc.array(fc.string({ unit: 'grapheme', maxLength: 8 }), { maxLength: 5 }),
    fc.array(fc.nat(), { maxLength: 15 }),
    fc.boolean(),
    (texts, cuts, crlf) => {
      // The final event's sequence_number is 1 + the number of deltas.
      assert.equal(run(stream(texts, 'response.completed', '', crlf), cuts).u.lastSequence, texts.length + 1);
    },
  ));
  const u = new ResponsesStreamUsage(LLM_LIMIT_DEFAULTS.maxEventBytes);
  assert.equal(u.lastSequence, -1);
  u.push(Buffer.from(ev('response.created', { response: { id: 'r', sequence_number: 99 } }, 0) + ev('response.output_text.delta', { delta: '"sequence_number":7' }, 1)));
  assert.equal(u.lastSequence, 1);
  u.push(Buffer.from('event: response.output_text.delta\ndata: {"type":"response.output_text.delta","sequence_number":2,"del'));
  assert.equal(u.lastSequence, 1, 'an unfinished event is held, not passed on');
});
