// The gateway's client side of 2026-07-28, piece by piece: telling a modern-only server from
// its answer to initialize, header values as the revision encodes them, x-mcp-header
// annotations read (and refused) by its rules, and results cleared of its own fields.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { argumentHeaders, headerValue, modernOnly, paramHeaders, plainResult, standardHeaders } from '../../src/mcp/modern-client.js';
import { RpcError } from '../../src/mcp/jsonrpc.js';

test('only the revision\'s own errors to initialize mark a server as 2026-07-28-only', () => {
  assert.equal(modernOnly(new RpcError(-32022, 'Unsupported protocol version', { supported: ['2026-07-28'], requested: '2025-11-25' })), true);
  assert.equal(modernOnly(new RpcError(-32022, 'Unsupported protocol version', { supported: ['2025-06-18'] })), false);
  assert.equal(modernOnly(new RpcError(-32020, 'Header mismatch')), true);
  assert.equal(modernOnly(new RpcError(-32601, 'Method not found')), false);
  assert.equal(modernOnly(new Error('ECONNREFUSED')), false);
});

test('header values: plain visible ASCII as it is, anything else (and the sentinel form itself) in base64', () => {
  assert.equal(headerValue('us-west1'), 'us-west1');
  assert.equal(headerValue('two words'), 'two words');
  assert.equal(headerValue('Hello, 世界'), '=?base64?SGVsbG8sIOS4lueVjA==?=');
  assert.equal(headerValue(' padded '), '=?base64?IHBhZGRlZCA=?=');
  assert.equal(headerValue('line1\nline2'), '=?base64?bGluZTEKbGluZTI=?=');
  assert.equal(headerValue('=?base64?literal?='), '=?base64?PT9iYXNlNjQ/bGl0ZXJhbD89?=');
  assert.equal(headerValue(''), '=?base64??=');
  assert.deepEqual(standardHeaders('tools/call', { name: 'get weather' }), { 'mcp-protocol-version': '2026-07-28', 'mcp-method': 'tools/call', 'mcp-name': 'get weather' });
  assert.deepEqual(standardHeaders('tools/list', {}), { 'mcp-protocol-version': '2026-07-28', 'mcp-method': 'tools/list' });
});

test('x-mcp-header annotations are read along properties chains and mirrored from the arguments', () => {
  const schema = {
    type: 'object',
    properties: {
      region: { type: 'string', 'x-mcp-header': 'Region' },
      opts: { type: 'object', properties: { dry: { type: 'boolean', 'x-mcp-header': 'Dry-Run' }, n: { type: 'integer', 'x-mcp-header': 'N' } } },
      query: { type: 'string' },
    },
  };
  const found = paramHeaders(schema);
  assert.ok('headers' in found);
  assert.deepEqual(found.headers, [{ path: ['region'], name: 'Region' }, { path: ['opts', 'dry'], name: 'Dry-Run' }, { path: ['opts', 'n'], name: 'N' }]);
  assert.deepEqual(argumentHeaders(found.headers, { region: 'ü', opts: { dry: false, n: 42 }, query: 'x' }), {
    'mcp-param-region': '=?base64?w7w=?=', 'mcp-param-dry-run': 'false', 'mcp-param-n': '42',
  });
  assert.deepEqual(argumentHeaders(found.headers, { query: 'x' }), {}, 'an absent argument sends no header');
});

test('annotations that break the rules make the tool invalid', () => {
  const invalid = (schema: unknown): string => { const r = paramHeaders(schema); assert.ok('invalid' in r, JSON.stringify(schema)); return r.invalid; };
  assert.match(invalid({ properties: { a: { type: 'string', 'x-mcp-header': 'Bad Name' } } }), /token/);
  assert.match(invalid({ properties: { a: { type: 'number', 'x-mcp-header': 'A' } } }), /type/);
  assert.match(invalid({ properties: { a: { type: 'string', 'x-mcp-header': 'A' }, b: { type: 'string', 'x-mcp-header': 'a' } } }), /twice/);
  assert.match(invalid({ properties: { list: { type: 'array', items: { type: 'string', 'x-mcp-header': 'Item' } } } }), /properties alone/);
  assert.match(invalid({ oneOf: [{ properties: { a: { type: 'string', 'x-mcp-header': 'A' } } }] }), /properties alone/);
  assert.deepEqual(paramHeaders({ type: 'object' }), { headers: [] });
});

test('results lose resultType, the cache hints and the server info, and keep everything else', () => {
  assert.deepEqual(plainResult({ resultType: 'complete', ttlMs: 0, cacheScope: 'private', tools: [], _meta: { 'io.modelcontextprotocol/serverInfo': { name: 's' } } }), { tools: [] });
  assert.deepEqual(plainResult({ content: [], _meta: { 'io.modelcontextprotocol/serverInfo': {}, other: 1 } }), { content: [], _meta: { other: 1 } });
});
