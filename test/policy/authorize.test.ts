// The authorize policy: allow/deny semantics, fail closed, phases (allow carried over, waiting
// for the protocol phase), compile errors at their config path, and a route's chain of policies.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AuthorizeChain, compileAuthorize, type AuthorizeOutcome, type AuthorizeRules } from '../../src/policy/authorize.js';
import { CelCompileError, type CelActivation, type CelPhase } from '../../src/policy/cel.js';

const P = ['policies', 'p', 'authorize'];

function act(over: Partial<CelActivation> = {}): CelActivation {
  return {
    request: { method: 'POST', path: '/v1/chat/completions', host: 'gw', headers: {} },
    source: { address: '127.0.0.1' },
    jwt: {},
    apiKey: {},
    identity: {},
    ...over,
  };
}
const finance = act({ jwt: { sub: 'alice', groups: ['finance'] }, identity: { kind: 'jwt', name: 'alice', metadata: {} } });
const eng = act({ jwt: { sub: 'bob', groups: ['eng'] }, identity: { kind: 'jwt', name: 'bob', metadata: {} } });
const keyA = act({ apiKey: { name: 'team-a', metadata: { team: 'a' } }, identity: { kind: 'apiKey', name: 'team-a', metadata: { team: 'a' } } });

function rules(allow: string[], deny: string[] = []): AuthorizeRules {
  return compileAuthorize({ allow, deny }, P);
}
function kind(o: AuthorizeOutcome): string {
  return typeof o === 'string' ? o : `deny:${o.reason}`;
}
function req(r: AuthorizeRules, a: CelActivation, next: CelPhase | null = null): string {
  return kind(r.check('request', a, false, next));
}

test('allow only: at least one allow rule must match', () => {
  const r = rules(['"finance" in jwt.groups', 'apiKey.metadata.team == "a"']);
  assert.equal(req(r, finance), 'allowed');
  assert.equal(req(r, keyA), 'allowed', 'the jwt rule errors for an API key caller: no match, the next rule allows');
  assert.equal(req(r, eng), 'deny:no-allow-matched');
});

test('deny only: everything not denied is allowed', () => {
  const r = rules([], ['request.path.startsWith("/admin")']);
  assert.equal(req(r, finance), 'allowed');
  assert.equal(req(r, act({ request: { method: 'GET', path: '/admin/x', host: 'gw', headers: {} } })), 'deny:deny-matched');
});

test('allow and deny: deny wins', () => {
  const r = rules(['"finance" in jwt.groups'], ['jwt.sub == "alice"']);
  const d = r.check('request', finance, false);
  assert.ok(typeof d === 'object');
  assert.equal(d.reason, 'deny-matched');
  assert.deepEqual(d.rule?.path, [...P, 'deny', 0]);
  assert.equal(d.error, null);
  assert.equal(req(r, act({ jwt: { sub: 'carol', groups: ['finance'] } })), 'allowed');
});

test('an evaluation error denies: a deny rule that fails denies, with the rule and the error', () => {
  const r = rules([], ['jwt.sub == "mallory"']);
  const d = r.check('request', keyA, false);
  assert.ok(typeof d === 'object');
  assert.equal(d.reason, 'deny-error');
  assert.deepEqual(d.rule?.path, [...P, 'deny', 0]);
  assert.match(d.error?.message ?? '', /No such key: sub/);
  // written to tolerate absence, it does not
  assert.equal(req(rules([], ['has(jwt.sub) && jwt.sub == "mallory"']), keyA), 'allowed');
});

test('an allow rule that fails is no match; the denial names it when nothing matched', () => {
  const r = rules(['"finance" in jwt.groups']);
  const d = r.check('request', keyA, false);
  assert.ok(typeof d === 'object');
  assert.equal(d.reason, 'no-allow-matched');
  assert.deepEqual(d.rule?.path, [...P, 'allow', 0]);
  assert.match(d.error?.message ?? '', /No such key: groups/);
  const plain = r.check('request', eng, false);
  assert.ok(typeof plain === 'object');
  assert.equal(plain.rule, null);
  assert.equal(plain.error, null);
});

test('a rule that is not boolean is a compile error at its path; so is a bad rule', () => {
  assert.throws(() => rules(['apiKey.name']), (e: unknown) => {
    assert.ok(e instanceof CelCompileError);
    assert.deepEqual(e.path, [...P, 'allow', 0]);
    assert.equal(e.message, 'is a string expression; a rule must be true or false');
    return true;
  });
  assert.throws(() => rules(['true'], ['true', 'request.method ==']), (e: unknown) => {
    assert.ok(e instanceof CelCompileError);
    assert.deepEqual(e.path, [...P, 'deny', 1]);
    assert.match(e.message, /Unexpected token/);
    return true;
  });
  // dyn (a claim) may be a bool at run time; a non-bool then fails closed
  const r = rules(['jwt.admin']);
  assert.equal(req(r, act({ jwt: { admin: true } })), 'allowed');
  assert.equal(req(r, act({ jwt: { admin: 'yes' } })), 'deny:no-allow-matched');
});

test('phases: rules are split; has() tells the caller which phases to run', () => {
  const r = rules(['"finance" in jwt.groups', 'mcp.server == "docs"'], ['mcp.tool.name.startsWith("delete_")']);
  assert.equal(r.has('request'), true);
  assert.equal(r.has('mcp'), true);
  assert.equal(r.has('llm'), false);
  assert.equal(r.hasAllowIn('mcp'), true);
  const denyOnly = rules([], ['llm.model == "expensive"']);
  assert.equal(denyOnly.has('request'), false, 'nothing to settle in the request phase');
  assert.equal(denyOnly.has('llm'), true);
  const llmAllow = rules(['llm.model == "cheap"']);
  assert.equal(llmAllow.has('request'), true, 'an allow requirement is settled or deferred in the request phase');
});

test('multi-phase: a request-phase allow carries over; protocol-phase deny rules still apply', () => {
  const r = rules(['"finance" in jwt.groups', 'mcp.server == "docs"'], ['mcp.tool.name.startsWith("delete_")']);
  assert.equal(req(r, finance, 'mcp'), 'allowed');
  const readTool = { ...finance, mcp: { server: 'crm', method: 'tools/call', tool: { name: 'read_page' } } };
  const deleteTool = { ...finance, mcp: { server: 'crm', method: 'tools/call', tool: { name: 'delete_page' } } };
  assert.equal(kind(r.check('mcp', readTool, true)), 'allowed', 'mcp.server is crm, but finance already allowed');
  assert.equal(kind(r.check('mcp', deleteTool, true)), 'deny:deny-matched');
});

test('multi-phase: no request-phase match waits for the protocol phase that has allow rules', () => {
  const r = rules(['"finance" in jwt.groups', 'mcp.server == "docs"']);
  assert.equal(req(r, eng, 'mcp'), 'pending');
  const docs = { ...eng, mcp: { server: 'docs', method: 'tools/call', tool: { name: 'search' } } };
  const crm = { ...eng, mcp: { server: 'crm', method: 'tools/call', tool: { name: 'search' } } };
  assert.equal(kind(r.check('mcp', docs, false)), 'allowed');
  assert.equal(kind(r.check('mcp', crm, false)), 'deny:no-allow-matched', 'the protocol phase is the last: no match denies');
  // checks are pure: one tool allowed does not allow the next
  assert.equal(kind(r.check('mcp', crm, false)), 'deny:no-allow-matched');
});

test('multi-phase: no waiting when the request will not reach a phase with allow rules', () => {
  const r = rules(['mcp.server == "docs"']);
  assert.equal(req(r, eng, 'mcp'), 'pending');
  assert.equal(req(r, eng, 'llm'), 'deny:no-allow-matched', 'an llm route never evaluates mcp rules');
  assert.equal(req(r, eng, null), 'deny:no-allow-matched', 'an http route has no protocol phase');
});

test('multi-phase: protocol-only allow rules with llm', () => {
  const r = rules(['llm.model == "cheap"'], ['llm.stream && apiKey.metadata.team == "b"']);
  assert.equal(req(r, keyA, 'llm'), 'pending');
  const cheap = { ...keyA, llm: { model: 'cheap', provider: 'openai', stream: true, inputTokens: null, outputTokens: null, costUsd: null } };
  const dear = { ...cheap, llm: { ...cheap.llm, model: 'dear' } };
  assert.equal(kind(r.check('llm', cheap, false)), 'allowed');
  assert.equal(kind(r.check('llm', dear, false)), 'deny:no-allow-matched');
});

test('several policies on a route: the chain ANDs them and carries one number', () => {
  const finOnly = rules(['"finance" in jwt.groups']);
  const noDelete = rules([], ['mcp.tool.name.startsWith("delete_")']);
  const docsOrFinance = rules(['jwt.sub == "bob"', 'mcp.server == "docs"']);
  const chain = new AuthorizeChain([finOnly, noDelete, docsOrFinance]);
  assert.equal(chain.has('request'), true);
  assert.equal(chain.has('mcp'), true);
  assert.equal(chain.has('llm'), false);

  const s = chain.check('request', finance, AuthorizeChain.START, 'mcp');
  assert.equal(typeof s, 'number');
  assert.equal(s, 0b001, 'finOnly met; docsOrFinance waits for mcp; noDelete has no request rules');
  const docsRead = { ...finance, mcp: { server: 'docs', method: 'tools/call', tool: { name: 'read' } } };
  const docsDelete = { ...finance, mcp: { server: 'docs', method: 'tools/call', tool: { name: 'delete_x' } } };
  const crmRead = { ...finance, mcp: { server: 'crm', method: 'tools/call', tool: { name: 'read' } } };
  assert.equal(typeof chain.check('mcp', docsRead, s), 'number');
  const d1 = chain.check('mcp', docsDelete, s);
  assert.ok(typeof d1 === 'object' && d1.reason === 'deny-matched');
  const d2 = chain.check('mcp', crmRead, s);
  assert.ok(typeof d2 === 'object' && d2.reason === 'no-allow-matched');
  assert.deepEqual(d2.rule, null);

  // one member denying in the request phase denies the chain
  const d3 = chain.check('request', eng, AuthorizeChain.START, 'mcp');
  assert.ok(typeof d3 === 'object' && d3.reason === 'no-allow-matched');
  assert.deepEqual(new AuthorizeChain([]).check('request', eng, 0), 0, 'no policies: nothing to deny');
});
