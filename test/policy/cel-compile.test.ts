// compileCel: what is rejected at load (with a one-line message), and what a compiled expression records (vars, phase, type).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { backtrackingRisk, CEL_MAX_LENGTH, CelCompileError, compileCel } from '../../src/policy/cel.js';

function compileError(src: string): CelCompileError {
  try {
    compileCel(src);
  } catch (err) {
    assert.ok(err instanceof CelCompileError, `expected CelCompileError, got ${String(err)}`);
    assert.ok(!err.message.includes('\n'), `one line: ${err.message}`);
    return err;
  }
  assert.fail(`${src} compiled`);
}

test('syntax error: message with column', () => {
  const e = compileError('request.method ==');
  assert.match(e.message, /Unexpected token/);
  assert.equal(e.column, 18);
  assert.match(e.message, /\(column 18\)$/);
});

test('unknown top-level variable names the known ones', () => {
  const e = compileError('user.name == "x"');
  assert.match(e.message, /Unknown variable: user; the variables are request, source, jwt, apiKey, identity, llm, mcp, a2a/);
});

test('misspelt field and type mismatch are load-time errors', () => {
  assert.match(compileError('request.methd == "GET"').message, /No such key: methd/);
  assert.match(compileError('request.method == 1').message, /no such overload: string == int/);
  assert.match(compileError('llm.stream == "yes"').message, /no such overload/);
  assert.match(compileError('mcp.tool.nam == "x"').message, /No such key: nam/);
});

test('longer than 4096 characters', () => {
  const src = `request.path == "${'a'.repeat(CEL_MAX_LENGTH)}"`;
  const e = compileError(src);
  assert.equal(e.message, `is ${src.length} characters long; the limit is 4096`);
  const exact = `"${'a'.repeat(CEL_MAX_LENGTH - 8)}" != ""`;
  assert.equal(exact.length, CEL_MAX_LENGTH);
  assert.doesNotThrow(() => compileCel(exact));
});

test('two protocol variables never exist together', () => {
  assert.equal(compileError('llm.model == "x" && mcp.server == "s"').message, 'reads llm and mcp, which never exist on the same request');
  assert.equal(compileError('a2a.agent == "x" || mcp.server == "s"').message, 'reads mcp and a2a, which never exist on the same request');
  assert.match(compileError('llm.model == a2a.agent').message, /reads llm and a2a/);
});

test('a constant pattern for matches() is checked at load', () => {
  const e = compileError('request.path.matches("(")');
  assert.match(e.message, /invalid regular expression "\("/);
  assert.equal(e.column, 22);
});

test('a constant pattern that can backtrack for ever is refused at load', () => {
  const e = compileError('request.path.matches("^(a+)+$")');
  assert.match(e.message, /regular expression with a repeated group that repeats inside .*"\^\(a\+\)\+\$"/);
  assert.equal(e.column, 22);
  assert.match(compileError('request.path.matches("(\\\\w)\\\\1")').message, /a backreference/);
  assert.doesNotThrow(() => compileCel('request.path.matches("^/v1/(chat|models)/[a-z0-9-]+$")'));
});

test('backtrackingRisk: nested repetition and backreferences, by shape', () => {
  const risky = ['(a+)+', '(a*)*', '(\\w+\\s?)*$', '((ab)+c)*', '(a{2,})+', '(?:x+y)+', '(a+){2,5}', '(.)\\1', '(?<n>a)\\k<n>'];
  for (const p of risky) assert.notEqual(backtrackingRisk(p), null, p);
  const safe = ['a+b+', '(ab)+', '^/v1/[a-z]+$', '(a|b)*c', '[(+)]+', '\\(a+\\)+', '(a+)?', '(a+){1}', '(a+){0,1}', '\\d{3,}-\\d+'];
  for (const p of safe) assert.equal(backtrackingRisk(p), null, p);
});

test('at() places the error at a config path and keeps the detail', () => {
  const e = compileError('1 +').at(['policies', 'p', 'authorize', 'allow', 0]);
  assert.deepEqual(e.path, ['policies', 'p', 'authorize', 'allow', 0]);
  assert.match(e.detail, /Unexpected token/);
});

test('vars and phase', () => {
  const cases: [string, string[], string][] = [
    ['"finance" in jwt.groups', ['jwt'], 'request'],
    ['request.method == "GET" && source.address == "::1"', ['request', 'source'], 'request'],
    ['apiKey.metadata.team == "a" || identity.kind == "jwt"', ['apiKey', 'identity'], 'request'],
    ['llm.model == "gpt-4o" && apiKey.name == "a"', ['llm', 'apiKey'], 'llm'],
    ['mcp.tool.name.startsWith("delete_")', ['mcp'], 'mcp'],
    ['a2a.agent == "travel"', ['a2a'], 'a2a'],
    ['true', [], 'request'],
    ['has(llm.outputTokens)', ['llm'], 'llm'],
    ['jwt.groups.exists(g, g == request.host)', ['jwt', 'request'], 'request'],
    // an iteration variable shadows the top-level one of the same name
    ['[1, 2].exists(mcp, mcp > 1)', [], 'request'],
    ['cel.bind(x, llm.model, x == "a")', ['llm'], 'llm'],
    ['{"k": mcp.server}.k == "s"', ['mcp'], 'mcp'],
  ];
  for (const [src, vars, phase] of cases) {
    const c = compileCel(src);
    assert.deepEqual([...c.vars].sort(), [...vars].sort(), src);
    assert.equal(c.phase, phase, src);
    assert.equal(c.source, src);
  }
});

test('type is the checked result type', () => {
  assert.equal(compileCel('request.method == "GET"').type, 'bool');
  assert.equal(compileCel('apiKey.name').type, 'string');
  assert.equal(compileCel('jwt.admin').type, 'dyn');
  assert.equal(compileCel('llm.inputTokens').type, 'int');
});
