// Evaluating compiled CEL: every variable of DESIGN's CEL context, the standard functions the
// docs use, absent variables, and fail closed (an evaluation error is a value, never a throw).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { RequestContext, type Identity, type LlmCall } from '../../src/core/index.js';
import { CelEvalError, celA2a, celLlm, celMcp, compileCel, requestActivation, type CelActivation } from '../../src/policy/cel.js';

function context(identity: Identity | null, headers: Record<string, string | string[]> = {}): RequestContext {
  const req = { method: 'POST', headers: { host: 'gw.example:8080', ...headers }, socket: { remoteAddress: '10.0.0.7' } } as unknown as IncomingMessage;
  const ctx = new RequestContext(req, {} as ServerResponse, 'edge', false);
  ctx.path = '/v1/chat/completions';
  ctx.host = 'gw.example';
  ctx.identity = identity;
  return ctx;
}

const jwtCaller: Identity = {
  kind: 'jwt', name: 'alice', metadata: {}, policy: 'sso',
  claims: { sub: 'alice', groups: ['eng', 'finance'], exp: 1900000000, email: 'alice@corp.example', admin: true, org: { id: 'o1' } },
};
const keyCaller: Identity = { kind: 'apiKey', name: 'team-a', metadata: { team: 'a', tier: 'gold' }, claims: null, policy: 'keys' };

function value(src: string, act: CelActivation): unknown {
  return compileCel(src).evaluate(act);
}
function rule(src: string, act: CelActivation): boolean | CelEvalError {
  return compileCel(src).test(act);
}
function error(src: string, act: CelActivation): CelEvalError {
  const r = compileCel(src).evaluate(act);
  assert.ok(r instanceof CelEvalError, `${src} gave ${String(r)}`);
  return r;
}

test('request.* and source.address come from the request context', () => {
  const act = requestActivation(context(keyCaller, { 'x-team': 'a', 'x-trace': 't1' }));
  assert.equal(value('request.method', act), 'POST');
  assert.equal(value('request.path', act), '/v1/chat/completions');
  assert.equal(value('request.host', act), 'gw.example');
  assert.equal(value('request.headers["x-team"]', act), 'a');
  assert.equal(rule('"x-trace" in request.headers && !("x-other" in request.headers)', act), true);
  assert.equal(value('source.address', act), '10.0.0.7');
});

test('a repeated header is one string joined with ", "', () => {
  const act = requestActivation(context(null, { 'set-cookie': ['a=1', 'b=2'], accept: 'text/plain' }));
  assert.equal(value('request.headers["set-cookie"]', act), 'a=1, b=2');
  assert.equal(value('request.headers.accept', act), 'text/plain');
  assert.equal(value('size(request.headers)', act), 3n);
});

test('jwt: the verified claims, a map', () => {
  const act = requestActivation(context(jwtCaller));
  assert.equal(rule('"finance" in jwt.groups', act), true);
  assert.equal(rule('"sales" in jwt.groups', act), false);
  assert.equal(rule('jwt.sub == "alice" && jwt.admin', act), true);
  assert.equal(rule('jwt.exp > 1700000000', act), true, 'a JSON number compares with an int literal');
  assert.equal(rule('jwt.org.id == "o1"', act), true);
  assert.equal(rule('jwt.email.endsWith("@corp.example")', act), true);
});

test('apiKey.name and apiKey.metadata; identity.*', () => {
  const act = requestActivation(context(keyCaller));
  assert.equal(rule('apiKey.name == "team-a"', act), true);
  assert.equal(rule('apiKey.metadata.team == "a"', act), true);
  assert.equal(rule('apiKey.metadata["tier"] in ["gold", "platinum"]', act), true);
  assert.equal(value('identity.kind', act), 'apiKey');
  assert.equal(value('identity.name', act), 'team-a');
  assert.equal(value('identity.metadata.tier', act), 'gold');
  assert.equal(value('identity.name', requestActivation(context(jwtCaller))), 'alice');
});

test('llm.*: tokens are ints, cost a double; absent until known', () => {
  const call: LlmCall = {
    model: 'smart', target: 'claude', provider: 'anthropic', stream: true, attempts: 1,
    inputTokens: null, outputTokens: null, cacheReadTokens: null, cacheWriteTokens: null, costUsd: null, estimated: false,
  };
  const act = requestActivation(context(keyCaller));
  act.llm = celLlm(call);
  assert.equal(rule('llm.model == "smart" && llm.provider == "anthropic" && llm.stream', act), true);
  assert.equal(rule('has(llm.inputTokens)', act), false);
  assert.equal(error('llm.inputTokens > 10', act).code, 'no_such_key');
  call.inputTokens = 1200;
  call.outputTokens = 30;
  call.costUsd = 0.0125;
  assert.equal(value('llm.inputTokens', act), 1200n, 'the view is live');
  assert.equal(rule('llm.inputTokens + llm.outputTokens > 1000', act), true);
  assert.equal(rule('llm.costUsd < 0.02', act), true);
  // a plain LlmCall works too (converted per evaluation)
  act.llm = call;
  assert.equal(value('llm.outputTokens', act), 30n);
});

test('mcp.* and a2a.*', () => {
  const act = requestActivation(context(jwtCaller));
  act.mcp = celMcp({ server: 'docs', method: 'tools/call', tool: { name: 'delete_page', arguments: { id: 7, force: true } } });
  assert.equal(rule('mcp.tool.name.startsWith("delete_")', act), true);
  assert.equal(rule('mcp.server == "docs" && mcp.method == "tools/call"', act), true);
  assert.equal(rule('mcp.tool.arguments.force && mcp.tool.arguments.id == 7', act), true);
  act.mcp = { server: 'docs', method: 'resources/read' };
  assert.equal(rule('has(mcp.tool)', act), false);
  assert.equal(error('mcp.tool.name == "x"', act).code, 'no_such_key');
  act.a2a = celA2a({ agent: 'travel', method: 'message/send' });
  assert.equal(rule('a2a.agent == "travel" && a2a.method.startsWith("message/")', act), true);
});

test('standard functions of the docs: in, startsWith, matches, size, map access, macros', () => {
  const act = requestActivation(context(jwtCaller, { 'x-env': 'prod-eu' }));
  assert.equal(rule('request.method in ["POST", "PUT"]', act), true);
  assert.equal(rule('request.path.startsWith("/v1/")', act), true);
  assert.equal(rule('request.path.matches("^/v1/(chat|embeddings)")', act), true);
  assert.equal(rule('request.headers["x-env"].matches("^prod-")', act), true);
  assert.equal(rule('size(jwt.groups) == 2 && jwt.groups.size() == 2', act), true);
  assert.equal(rule('jwt.groups.exists(g, g.startsWith("fin"))', act), true);
  assert.equal(rule('jwt.groups.all(g, size(g) > 2)', act), true);
  assert.equal(rule('jwt["sub"] == "alice"', act), true);
  assert.equal(rule('request.host.contains("example") && !request.host.endsWith(".com")', act), true);
});

test('absent things: jwt is {}, apiKey and identity have no fields; has() and optionals test for them', () => {
  const viaKey = requestActivation(context(keyCaller));
  assert.equal(error('"finance" in jwt.groups', viaKey).code, 'no_such_key');
  assert.equal(rule('has(jwt.groups)', viaKey), false);
  assert.equal(rule('"finance" in jwt.?groups.orValue([])', viaKey), false);
  const viaJwt = requestActivation(context(jwtCaller));
  assert.match(error('apiKey.name == "team-a"', viaJwt).message, /No such key: name/);
  assert.equal(rule('has(apiKey.name)', viaJwt), false);
  const anonymous = requestActivation(context(null));
  assert.equal(rule('has(identity.kind)', anonymous), false);
  assert.equal(error('identity.name == "x"', anonymous).code, 'no_such_key');
  assert.deepEqual(value('jwt', anonymous), {});
  // a protocol variable not set on the activation
  assert.match(error('llm.model == "x"', anonymous).message, /Unknown variable: llm/);
});

test('fail closed: errors are values, never throws; a rule must give a bool', () => {
  const act = requestActivation(context(jwtCaller));
  const stackLimit = Error.stackTraceLimit;
  assert.equal(error('request.headers["x-missing"] == "1"', act).code, 'no_such_key');
  assert.match(error('jwt.groups + 1', act).message, /no such overload/);
  assert.match(error('jwt.sub > 3', act).message, /no such overload/);
  assert.match(error('jwt.groups[5]', act).message, /out of bounds/);
  assert.match(error('"a".matches(jwt.sub + "(")', act).message, /Invalid regular expression/);
  const notBool = rule('jwt.sub', act);
  assert.ok(notBool instanceof CelEvalError);
  assert.equal(notBool.code, 'not_bool');
  assert.equal(notBool.message, 'the rule gave a string, not a bool');
  assert.ok(rule('jwt.exp', act) instanceof CelEvalError);
  // a JSON null claim is a value, not an error
  const withNull = requestActivation(context({ ...jwtCaller, claims: { sub: null } }));
  assert.equal(rule('jwt.sub == null', withNull), true);
  // a claim object with a hostile own "constructor" key fails, it does not throw
  const hostile = requestActivation(context({ ...jwtCaller, claims: { o: { constructor: 'x', a: 1 } } }));
  assert.ok(rule('jwt.o.a == 1', hostile) instanceof CelEvalError);
  // and an evaluation leaves the stack-trace setting as it was
  assert.equal(Error.stackTraceLimit, stackLimit);
});

test('one compiled expression serves many activations', () => {
  const c = compileCel('apiKey.metadata.team == "a"');
  assert.equal(c.test(requestActivation(context(keyCaller))), true);
  assert.equal(c.test(requestActivation(context({ ...keyCaller, metadata: { team: 'b' } }))), false);
  assert.ok(c.test(requestActivation(context(jwtCaller))) instanceof CelEvalError);
});
