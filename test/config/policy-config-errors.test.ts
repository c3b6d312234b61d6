// Config errors of the issue-4 policies and backends name their path: CEL that does not
// compile or is not a rule, a budget or token limit keyed on mcp.*, a rate without a limit, a
// jwt policy with no or two key sources, an unknown policy on a backend, a backend with two kinds.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { configError, load } from './support.js';

const base = (policies: string, backendExtra = '') => `listeners:
  - name: edge
    port: 0
    routes: [{ name: r, match: { path: /v1 }, backend: b, policies: [p] }]
backends:
  b:
${backendExtra}    http: { url: "http://127.0.0.1:1" }
policies:
${policies}`;

test('an authorize rule that does not compile, or is not a boolean, is an error at its index', () => {
  const err = configError(base(`  p:
    authorize:
      allow: ['apiKey.name ==', 'apiKey.name']
      deny: ['request.methd == "GET"']
`));
  const paths = err.issues.map((i) => i.path);
  assert.ok(paths.includes('policies.p.authorize.allow[0]'), err.message);
  assert.ok(paths.includes('policies.p.authorize.allow[1]'), err.message);
  assert.ok(paths.includes('policies.p.authorize.deny[0]'), err.message);
  assert.match(err.issues.find((i) => i.path === 'policies.p.authorize.allow[1]')!.message, /true or false/);
});

test('limits: no rate, a bad rate, a key reading mcp.*', () => {
  assert.match(configError(base('  p:\n    rateLimit: { key: apiKey.name }\n')).message, /limits nothing/);
  assert.match(configError(base('  p:\n    rateLimit: { requests: 10/fortnight }\n')).message, /a rate like "600\/minute"/);
  const err = configError(base('  p:\n    budget: { key: mcp.server, usd: 1, period: day }\n'));
  assert.equal(err.issues[0]!.path, 'policies.p.budget.key');
  // A request limit keyed on a protocol variable counts that protocol's calls (per tool, per
  // model); only tokens and USD need a metered protocol (llm).
  load(base('  p:\n    rateLimit: { key: llm.model, requests: 1/second, tokens: 1000/minute }\n'));
  load(base('  p:\n    rateLimit: { key: \'apiKey.name + "/" + mcp.tool.name\', requests: 5/minute }\n'));
  load(base('  p:\n    rateLimit: { key: a2a.agent, requests: 5/minute }\n'));
  const tokens = configError(base('  p:\n    rateLimit: { key: mcp.tool.name, requests: 5/minute, tokens: 1000/minute }\n'));
  assert.equal(tokens.issues[0]!.path, 'policies.p.rateLimit.key');
  assert.match(tokens.message, /mcp calls carry no tokens or cost: only a requests limit can key on it/);
});

test('jwt: exactly one key source', () => {
  const none = configError(base('  p:\n    jwt: { issuer: https://i, audiences: [a] }\n'));
  assert.match(none.message, /exactly one of jwksUrl, jwksFile and jwks/);
  const two = configError(base('  p:\n    jwt: { issuer: https://i, audiences: [a], jwksUrl: "https://i/j", jwksFile: ./j.json }\n'));
  assert.match(two.message, /exactly one of jwksUrl, jwksFile and jwks/);
});

test('backends: policies are checked; exactly one kind', () => {
  const unknown = configError(base('  p:\n    rateLimit: { requests: 1/second }\n', '    policies: [nope]\n'));
  assert.ok(unknown.issues.some((i) => i.path === 'backends.b.policies[0]' && /unknown policy "nope"/.test(i.message)), unknown.message);
  const two = configError(base('  p:\n    rateLimit: { requests: 1/second }\n', '    llm: { models: [{ name: m, provider: openai-compatible, baseUrl: "http://127.0.0.1:1/v1" }] }\n'));
  assert.ok(two.issues.some((i) => i.path === 'backends.b' && /exactly one of: http, llm/.test(i.message)), two.message);
  // A backend's policies join the route's.
  const rt = load(base('  p:\n    rateLimit: { requests: 1/second }\n  q:\n    rateLimit: { requests: 2/second }\n', '    policies: [q]\n'));
  assert.deepEqual(rt.listeners[0]!.routes[0]!.policies, ['p', 'q']);
});
