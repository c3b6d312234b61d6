// Property-based: arbitrary CEL input never makes compileCel throw anything but CelCompileError,
// and arbitrary activations (header maps, JWT claims) never make evaluate or test throw.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { CelCompileError, CelEvalError, compileCel, type CelActivation } from '../../src/policy/cel.js';

const FRAGMENTS = [
  'request', 'source', 'jwt', 'apiKey', 'identity', 'llm', 'mcp', 'a2a', 'user', '.', '.?', '[', ']', '(', ')', '{', '}', ',', ':',
  'method', 'path', 'headers', 'groups', 'name', 'metadata', 'tool', 'model', '"x"', "'y'", '1', '2.5', '-', '+', '*', '/', '%',
  '==', '!=', '<', '>=', '&&', '||', '!', '?', 'in', 'has', 'size', 'matches', 'startsWith', 'exists', 'all', 'map', 'filter',
  'true', 'false', 'null', ' ', 'b"\\xff"', 'r"\\d"', '"""', '\\', '\u0000', '💥', 'cel.bind', 'dyn', 'int', 'string', 'type',
];

test('compileCel throws only CelCompileError, for any string', () => {
  const anyString = fc.oneof(
    fc.string({ maxLength: 200 }),
    fc.array(fc.constantFrom(...FRAGMENTS), { maxLength: 40 }).map((xs) => xs.join('')),
    fc.array(fc.constantFrom(...FRAGMENTS), { maxLength: 40 }).map((xs) => xs.join(' ')),
    fc.integer({ min: 1, max: 400 }).map((n) => '('.repeat(n) + '1' + ')'.repeat(n)),
    fc.integer({ min: 1, max: 400 }).map((n) => '!'.repeat(n) + 'true'),
    fc.integer({ min: 4090, max: 4200 }).map((n) => '"' + 'a'.repeat(n) + '"'),
  );
  fc.assert(fc.property(anyString, (src) => {
    try {
      const c = compileCel(src);
      assert.equal(c.source, src);
    } catch (err) {
      if (!(err instanceof CelCompileError)) throw new Error(`${JSON.stringify(src)} threw ${String(err)}`, { cause: err });
      assert.ok(!err.message.includes('\n'));
    }
  }), { numRuns: 3000 });
});

const json: fc.Arbitrary<unknown> = fc.jsonValue({ maxDepth: 3 });
const key = fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom('groups', 'sub', 'team', 'constructor', '__proto__', 'toString', 'x-team'));
const activation: fc.Arbitrary<CelActivation> = fc.record({
  headers: fc.dictionary(key, fc.oneof(fc.string(), fc.array(fc.string(), { maxLength: 3 }))),
  claims: fc.oneof(fc.constant({}), fc.dictionary(key, json)),
  metadata: fc.dictionary(key, fc.string()),
  kind: fc.constantFrom('apiKey', 'jwt', null),
  method: fc.string({ maxLength: 8 }),
  path: fc.string({ maxLength: 30 }),
  protocol: fc.constantFrom('llm', 'mcp', 'a2a', null),
  tokens: fc.oneof(fc.constant(null), fc.integer(), fc.double()),
  args: fc.dictionary(key, json),
}).map((r) => {
  const act: { -readonly [K in keyof CelActivation]: CelActivation[K] } = {
    request: { method: r.method, path: r.path, host: 'h', headers: r.headers },
    source: { address: '127.0.0.1' },
    jwt: r.claims,
    apiKey: r.kind === 'apiKey' ? { name: 'k', metadata: r.metadata } : {},
    identity: r.kind === null ? {} : { kind: r.kind, name: 'n', metadata: r.metadata },
  };
  if (r.protocol === 'llm') act.llm = { model: 'm', provider: 'p', stream: false, inputTokens: r.tokens, outputTokens: r.tokens, costUsd: r.tokens };
  if (r.protocol === 'mcp') act.mcp = { server: 's', method: 'tools/call', tool: { name: r.method, arguments: r.args } };
  if (r.protocol === 'a2a') act.a2a = { agent: 'a', method: r.method };
  return act;
});

const RULES = [
  '"finance" in jwt.groups', 'jwt.sub == "alice"', 'jwt.groups.exists(g, g == "x")', 'size(jwt) > 1', 'jwt.constructor == "x"',
  'jwt["__proto__"] == null', 'jwt.toString == "x"', 'apiKey.metadata.team == "a"', 'has(apiKey.name)', 'identity.kind == "jwt"',
  'request.headers["x-team"] == "a"', 'request.headers.exists(k, k.startsWith("x-"))', 'request.path.matches("^/v1")',
  'request.method in ["GET", "POST"]', 'size(request.headers) >= 0', 'jwt.team', 'jwt.groups[0]', 'jwt.sub + "x"',
  'llm.inputTokens > 10', 'llm.costUsd < 1.0', 'has(llm.outputTokens)', 'mcp.tool.name.startsWith("delete_")',
  'mcp.tool.arguments.id == 1', 'mcp.tool.arguments.exists(k, k == "x")', 'a2a.method == "message/send"',
  'jwt.?groups.orValue([]).size() == 0', 'int(jwt.exp) > 0', 'string(jwt.sub).size() > 0', 'jwt.sub.matches(jwt.team)',
];
const compiled = RULES.map((r) => compileCel(r));

test('evaluate and test never throw, whatever the activation', () => {
  fc.assert(fc.property(activation, (act) => {
    for (const c of compiled) {
      c.evaluate(act);
      const t = c.test(act);
      assert.ok(typeof t === 'boolean' || t instanceof CelEvalError, c.source);
    }
  }), { numRuns: 500 });
});
