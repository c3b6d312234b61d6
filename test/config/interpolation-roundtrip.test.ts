// Property: for arbitrary environment values, a template's substituted string equals the
// template with each reference replaced by its value (or default), values are inserted
// verbatim (never expanded again), and `$$` always yields `$`.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { loadConfigText } from '../../src/gateway/config.js';

type Part =
  | { kind: 'text'; text: string }
  | { kind: 'dollar' }
  | { kind: 'ref'; name: string; def?: string };

const NAMES = ['A', 'B_2', '_c', 'LONG_VARIABLE_NAME'];
// Literal text and defaults cannot contain `$` (that is the syntax); defaults cannot contain `}`.
const literal = fc.string({ unit: 'grapheme' }).map((s) => s.replace(/\$/g, ''));
const part: fc.Arbitrary<Part> = fc.oneof(
  literal.map((text) => ({ kind: 'text' as const, text })),
  fc.constant({ kind: 'dollar' as const }),
  fc.record({ kind: fc.constant('ref' as const), name: fc.constantFrom(...NAMES), def: fc.option(literal.map((d) => d.replace(/\}/g, '')), { nil: undefined }) }, { requiredKeys: ['kind', 'name'] }),
);
// Values may contain anything, including `$`, `${X}` and `$$`: they must come out unchanged.
const value = fc.oneof(fc.string({ unit: 'grapheme' }), fc.constantFrom('${A}', '$$', '$', '}', ''));
const envArb = fc.record(Object.fromEntries(NAMES.map((n) => [n, fc.option(value, { nil: undefined })])));

function render(parts: readonly Part[]): string {
  return parts.map((p) => (p.kind === 'text' ? p.text : p.kind === 'dollar' ? '$$' : `\${${p.name}${p.def === undefined ? '' : `:-${p.def}`}}`)).join('');
}

/** The expected result, or undefined when a variable without a default is missing. */
function expected(parts: readonly Part[], env: Record<string, string | undefined>): string | undefined {
  let out = '';
  for (const p of parts) {
    if (p.kind === 'text') out += p.text;
    else if (p.kind === 'dollar') out += '$';
    else {
      const v = env[p.name];
      if (v === undefined || (v === '' && p.def !== undefined)) {
        if (p.def === undefined) return undefined;
        out += p.def;
      } else out += v;
    }
  }
  return out;
}

function substituted(template: string, env: Record<string, string | undefined>): string {
  // A double-quoted YAML scalar holds any string; JSON's escapes are valid YAML escapes.
  const yaml = `gateway: { admin: off }\nlisteners:\n  - name: edge\n    port: 0\n    routes: []\n    host: ${JSON.stringify(template)}\n`;
  return loadConfigText(yaml, '/virtual/agentedge.yaml', env).config.listeners[0]!.host!;
}

test('substitution replaces exactly the references', () => {
  fc.assert(fc.property(fc.array(part, { maxLength: 8 }), envArb, (parts, env) => {
    const want = expected(parts, env);
    fc.pre(want !== undefined);
    assert.equal(substituted(render(parts), env), want);
  }), { numRuns: 500 });
});

test('$$ always yields $', () => {
  fc.assert(fc.property(fc.array(literal, { minLength: 1, maxLength: 6 }), (texts) => {
    assert.equal(substituted(texts.join('$$'), {}), texts.join('$'));
  }), { numRuns: 300 });
});
