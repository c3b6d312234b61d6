// Property: an unquoted template of references and text means the same as a flow-mapping
// value and as a block value: the same config, or the same error (line and column aside),
// for arbitrary environment values and defaults that hold YAML's flow indicators.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { ConfigError } from '../../src/config/index.js';
import { loadConfigText } from '../../src/gateway/config.js';

const NAMES = ['A', 'B_2', '_c'];
// Plain-scalar-safe literal text in both styles; defaults may hold `{ } [ ] , :` and spaces.
const literal = fc.stringMatching(/^[a-z0-9/._]{1,6}$/);
const def = fc.stringMatching(/^[a-z0-9 ,:{[\]/._-]{0,8}$/);
const ref = fc.tuple(fc.constantFrom(...NAMES), fc.option(def, { nil: undefined }))
  .map(([n, d]) => `\${${n}${d === undefined ? '' : `:-${d}`}}`);
const template = fc.array(fc.oneof(literal, ref, fc.constant('$$')), { minLength: 1, maxLength: 5 })
  .map((parts) => parts.join(''))
  .filter((t) => !t.startsWith('$$') && t.includes('${'));
const value = fc.oneof(fc.string({ unit: 'grapheme' }), fc.constantFrom('${A}', '$$', '}', '', '8080', 'true'));
const envArb = fc.record(Object.fromEntries(NAMES.map((n) => [n, fc.option(value, { nil: undefined })])));

function outcome(yaml: string, env: Record<string, string | undefined>): unknown {
  try {
    return loadConfigText(yaml, '/virtual/agentedge.yaml', env).config;
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    return err.issues.map((i) => `${i.path}: ${i.message}`);
  }
}

test('a template reads the same in flow and block style', () => {
  fc.assert(fc.property(template, envArb, (t, env) => {
    const block = `gateway:\n  admin: off\nlisteners:\n  - name: edge\n    port: 0\n    routes: []\n    host: ${t}\n`;
    const flow = `gateway: { admin: off }\nlisteners: [{ name: edge, port: 0, routes: [], host: ${t} }]\n`;
    assert.deepEqual(outcome(flow, env), outcome(block, env));
  }), { numRuns: 300 });
});
