// The call gate is protocol-neutral: a route's policies build one for whatever protocol its
// backend declares (the CEL variable its calls fill), run that phase's rules on the call's
// subject, count request limits keyed on the call's variable once per call, and charge
// budgets only for calls that carry a usage meter. The gates are exercised here directly, as
// their handlers call them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingMessage, ServerResponse } from 'node:http';
import pino from 'pino';
import type { RuntimeConfig } from '../../src/config/index.js';
import { GatewayError, RequestContext } from '../../src/core/index.js';
import { PolicySet } from '../../src/policy/runtime.js';
import { SqliteStore } from '../../src/state/sqlite.js';
import type { StateStore } from '../../src/state/types.js';

function context(): RequestContext {
  const req = { method: 'POST', headers: { host: 'gw.example' }, socket: { remoteAddress: '10.0.0.7' } } as unknown as IncomingMessage;
  const ctx = new RequestContext(req, {} as ServerResponse, 'edge', false);
  ctx.path = '/mcp';
  ctx.identity = { kind: 'apiKey', name: 'team-a', metadata: { team: 'a' }, claims: null, policy: 'keys' };
  return ctx;
}

/** A store that fails the test if anything is charged to it. */
const untouchable = new Proxy({}, { get: (_t, p) => { throw new Error(`state store touched: ${String(p)}`); } }) as StateStore;

function policies(): PolicySet {
  const config = {
    policies: new Map<string, unknown>([
      ['tools', { kind: 'authorize', name: 'tools', authorize: { deny: ['mcp.tool.name == "delete_repo"'], allow: ['mcp.server == "github"'] } }],
      ['agents', { kind: 'authorize', name: 'agents', authorize: { allow: ['a2a.agent == "planner" && a2a.method == "message/send"'] } }],
      ['spend', { kind: 'budget', name: 'spend', budget: { key: null, usd: 1, period: 'day', reserveOutputTokens: 100 } }],
    ]),
  } as unknown as RuntimeConfig;
  return new PolicySet(config, { state: untouchable, logger: pino({ level: 'silent' }) });
}

test('an mcp gate runs mcp.* rules on the call subject: deny beats allow, unmatched allow refuses', () => {
  const { gate } = policies().forRoute(['tools'], 'mcp');
  assert.ok(gate !== null);
  const call = (server: string, tool: string) => ({ subject: { server, method: 'tools/call', tool: { name: tool } }, usage: null });
  assert.equal(gate.admit(context(), call('github', 'create_issue')), undefined);
  assert.throws(() => gate.admit(context(), call('github', 'delete_repo')), (e: unknown) => e instanceof GatewayError && e.code === 'AE_FORBIDDEN');
  assert.throws(() => gate.admit(context(), call('jira', 'create_issue')), (e: unknown) => e instanceof GatewayError && e.code === 'AE_FORBIDDEN');
  // Listings ask the same rules, with no side effects.
  assert.equal(gate.permits(context(), { server: 'github', method: 'tools/list', tool: { name: 'create_issue' } }), true);
  assert.equal(gate.permits(context(), { server: 'github', method: 'tools/list', tool: { name: 'delete_repo' } }), false);
});

test('an a2a gate runs a2a.* rules; an llm gate on the same policy has no rules of its phase', () => {
  const set = policies();
  const a2a = set.forRoute(['agents'], 'a2a').gate;
  assert.ok(a2a !== null);
  assert.equal(a2a.admit(context(), { subject: { agent: 'planner', method: 'message/send' }, usage: null }), undefined);
  assert.throws(() => a2a.admit(context(), { subject: { agent: 'billing', method: 'message/send' }, usage: null }), (e: unknown) => e instanceof GatewayError && e.code === 'AE_FORBIDDEN');
  // The a2a rules do not apply to an llm route, and nothing else on it needs a gate.
  assert.equal(set.forRoute(['agents'], 'llm').gate, null);
});

test('a call metered as one request (no usage meter) is never charged to a budget', () => {
  const { gate } = policies().forRoute(['spend'], 'a2a');
  assert.ok(gate !== null);
  // The untouchable store throws if the budget reserved anything.
  assert.equal(gate.admit(context(), { subject: { agent: 'planner', method: 'message/send' }, usage: null }), undefined);
});

test('a backend with no protocol gets no gate; an allow rule only a protocol phase could meet fails closed', () => {
  const { gate, filters } = policies().forRoute(['tools', 'spend'], null);
  assert.equal(gate, null);
  assert.deepEqual(filters.map((f) => f.name), ['authorize']);
  const d = filters[0]!.run(context());
  assert.ok(!(d instanceof Promise) && d.kind === 'error' && d.error.code === 'AE_FORBIDDEN');
});

test('a protocol with no CEL variable is refused when the route is built', () => {
  assert.throws(() => policies().forRoute(['tools'], 'smtp'), /protocol "smtp"/);
});

test('a request limit keyed on mcp.* counts calls in the mcp gate, per tool; a request-phase limit stays a filter', async () => {
  const state = SqliteStore.open(':memory:');
  const config = {
    policies: new Map<string, unknown>([
      ['per-tool', { kind: 'rateLimit', name: 'per-tool', rateLimit: { key: 'apiKey.name + "/" + mcp.tool.name', requests: { limit: 2, windowMs: 60_000 }, tokens: null } }],
      ['per-key', { kind: 'rateLimit', name: 'per-key', rateLimit: { key: null, requests: { limit: 100, windowMs: 60_000 }, tokens: null } }],
    ]),
  } as unknown as RuntimeConfig;
  const set = new PolicySet(config, { state, logger: pino({ level: 'silent' }) });
  const { gate, filters } = set.forRoute(['per-tool', 'per-key'], 'mcp');
  assert.ok(gate !== null);
  // The per-key limit counts requests in the rateLimit phase; the per-tool one is no filter.
  assert.deepEqual(filters.map((f) => f.name), ['rateLimit']);
  const ctx = context();
  const call = (tool: string) => ({ subject: { server: 'github', method: 'tools/call', tool: { name: tool } }, usage: null });
  // One request may make several calls (a batch): each is counted, under its own tool's key.
  assert.equal(gate.admit(ctx, call('create_issue')), undefined);
  assert.equal(gate.admit(ctx, call('create_issue')), undefined);
  assert.throws(() => gate.admit(ctx, call('create_issue')), (e: unknown) => e instanceof GatewayError && e.code === 'AE_RATE_LIMITED' && Number(e.headers?.['retry-after']) >= 1);
  assert.equal(gate.admit(context(), call('list_repos')), undefined);
  // Listings never count.
  for (let i = 0; i < 5; i++) assert.equal(gate.permits(context(), { server: 'github', method: 'tools/list', tool: { name: 'list_repos' } }), true);
  assert.equal(gate.admit(context(), call('list_repos')), undefined);
  assert.throws(() => gate.admit(context(), call('list_repos')), (e: unknown) => e instanceof GatewayError && e.code === 'AE_RATE_LIMITED');
  // Not on an llm route (its calls have no mcp variable), nor on a backend with no protocol.
  assert.equal(set.forRoute(['per-tool'], 'llm').gate, null);
  assert.deepEqual(set.forRoute(['per-tool'], null).filters, []);
  await state.close();
});

test('a call denied by a rule is not counted against a call limit', () => {
  const state = SqliteStore.open(':memory:');
  const config = {
    policies: new Map<string, unknown>([
      ['one', { kind: 'rateLimit', name: 'one', rateLimit: { key: 'mcp.server', requests: { limit: 1, windowMs: 60_000 }, tokens: null } }],
      ['nodelete', { kind: 'authorize', name: 'nodelete', authorize: { deny: ['mcp.tool.name.startsWith("delete_")'] } }],
    ]),
  } as unknown as RuntimeConfig;
  const { gate } = new PolicySet(config, { state, logger: pino({ level: 'silent' }) }).forRoute(['nodelete', 'one'], 'mcp');
  assert.ok(gate !== null);
  const call = (tool: string) => ({ subject: { server: 'github', method: 'tools/call', tool: { name: tool } }, usage: null });
  assert.throws(() => gate.admit(context(), call('delete_repo')), (e: unknown) => e instanceof GatewayError && e.code === 'AE_FORBIDDEN');
  assert.equal(gate.admit(context(), call('create_issue')), undefined);
  assert.throws(() => gate.admit(context(), call('create_issue')), (e: unknown) => e instanceof GatewayError && e.code === 'AE_RATE_LIMITED');
});

test('a token limit keyed on llm.model counts per model, with no llm.* rule on the route', () => {
  const state = SqliteStore.open(':memory:');
  const config = {
    policies: new Map<string, unknown>([
      ['per-model', { kind: 'rateLimit', name: 'per-model', rateLimit: { key: 'llm.model', requests: null, tokens: { limit: 100, windowMs: 60_000 } } }],
    ]),
  } as unknown as RuntimeConfig;
  const { gate } = new PolicySet(config, { state, logger: pino({ level: 'silent' }) }).forRoute(['per-model'], 'llm');
  assert.ok(gate !== null);
  const meter = { target: 'm', billable: true, inputTokens: () => 60, maxOutputTokens: null, costUsd: () => null, usedTokens: () => 60, usedUsd: () => null };
  const call = (model: string) => ({ subject: { model, provider: 'openai', stream: false, inputTokens: 60, outputTokens: null, costUsd: null }, usage: meter });
  assert.equal(gate.admit(context(), call('a')), undefined);
  assert.equal(gate.admit(context(), call('b')), undefined);
  assert.throws(() => gate.admit(context(), call('a')), (e: unknown) => e instanceof GatewayError && e.code === 'AE_RATE_LIMITED');
});
