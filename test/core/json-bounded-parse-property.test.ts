// core/json.ts as pure logic: the depth scan agrees with the depth of the parsed value for
// any JSON text (strings full of quotes, backslashes and brackets included), and the
// "__proto__" check judges the parsed key however the text escapes it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { JsonRefusedError, nestedDeeperThan, parseJson } from '../../src/core/json.js';

/** Nesting depth of a parsed value: a scalar 0, [] and {} 1. Recursive, fine for test sizes. */
function depthOf(v: unknown): number {
  if (v === null || typeof v !== 'object') return 0;
  const children = Array.isArray(v) ? v : Object.values(v as Record<string, unknown>);
  return 1 + children.reduce<number>((m, c) => Math.max(m, depthOf(c)), 0);
}

/** Strings that try to fool a scanner: quotes, backslashes, brackets. */
const tricky = fc.string({ unit: fc.constantFrom('"', '\\', '[', ']', '{', '}', 'a', ' ', '\u00e9') });
const value = fc.letrec((tie) => ({
  v: fc.oneof({ depthSize: 'small', withCrossShrink: true }, tricky, fc.integer(), fc.constant(null),
    fc.array(tie('v'), { maxLength: 3 }), fc.dictionary(tricky, tie('v'), { maxKeys: 3 })),
})).v;

test('nestedDeeperThan(text, d) is exactly depth > d, whatever the strings hold', () => {
  fc.assert(fc.property(value, fc.boolean(), (v, pretty) => {
    const text = JSON.stringify(v, null, pretty ? 2 : undefined);
    const depth = depthOf(v);
    for (let d = Math.max(0, depth - 2); d <= depth + 1; d++) assert.equal(nestedDeeperThan(text, d), depth > d, `${text} at ${d}`);
  }), { numRuns: 500 });
});

test('a deep text is refused before it is parsed; at the bound it parses', () => {
  const deep = (n: number) => '['.repeat(n) + ']'.repeat(n);
  assert.throws(() => parseJson(deep(100_000), { maxDepth: 128 }), (e: unknown) => e instanceof JsonRefusedError && e.problem === 'depth');
  assert.deepEqual(parseJson(`{"a":${deep(2)}}`, { maxDepth: 3 }), { a: [[]] });
  assert.throws(() => parseJson(`{"a":${deep(3)}}`, { maxDepth: 3 }), JsonRefusedError);
  assert.throws(() => parseJson('{"a":', { maxDepth: 128 }), (e: unknown) => e instanceof JsonRefusedError && e.problem === 'syntax');
});

test('runs of backslashes before quotes are read once (linear, not quadratic)', () => {
  // 4 MB of escaped backslashes and quotes in one string: a scan that re-read each run from
  // the string's start would take minutes here.
  const s = JSON.stringify(['\\"'.repeat(1 << 20) + '[[[']);
  assert.equal(nestedDeeperThan(s, 1), false);
  assert.equal(nestedDeeperThan(`[${s}]`, 1), true);
});

/** Writes each character of every "__proto__" key as \u00XX or itself, as `mask` says. */
function escapeProto(text: string, mask: number): string {
  return text.replaceAll('"__proto__"', () => '"' + [...'__proto__'].map((c, i) => ((mask >> i) & 1) ? `\\u00${c.charCodeAt(0).toString(16)}` : c).join('') + '"');
}

test('a "__proto__" key is refused however it is escaped, and only then', () => {
  const key = fc.oneof(fc.constant('__proto__'), fc.constant('__proto'), fc.constant('proto__'), fc.string({ maxLength: 4 }));
  const obj = fc.letrec((tie) => ({
    v: fc.oneof({ depthSize: 'small' }, fc.integer(), fc.array(tie('v'), { maxLength: 3 }),
      fc.array(fc.tuple(key, tie('v')), { maxLength: 3 }).map((pairs) => {
        // Own "__proto__" keys need defineProperty (a literal would set the prototype).
        const o: Record<string, unknown> = {};
        for (const [k, v] of pairs) Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
        return o;
      })),
  })).v;
  fc.assert(fc.property(obj, fc.integer({ min: 0, max: 511 }), (v, mask) => {
    const plain = JSON.stringify(v);
    const text = escapeProto(plain, mask);
    const has = plain.includes('"__proto__":');
    let refused = false;
    try { parseJson(text, { maxDepth: 64, refuseProtoKey: true }); } catch (e) { refused = e instanceof JsonRefusedError && e.problem === 'proto'; }
    assert.equal(refused, has, text);
    // Without refuseProtoKey, the same text parses.
    parseJson(text, { maxDepth: 64 });
  }), { numRuns: 500 });
});
