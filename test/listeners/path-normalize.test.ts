// normalizeTarget: the one place a request path is decoded and resolved (RELIABILITY 9).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { normalizeTarget } from '../../src/core/path.js';

const path = (url: string) => normalizeTarget(url)?.path ?? null;

test('plain paths come back as they are, query split off untouched', () => {
  assert.deepEqual(normalizeTarget('/v1/chat/completions'), { path: '/v1/chat/completions', query: '' });
  assert.deepEqual(normalizeTarget('/a?x=%2F&y=/../z'), { path: '/a', query: '?x=%2F&y=/../z' });
  assert.deepEqual(normalizeTarget('/'), { path: '/', query: '' });
  assert.deepEqual(normalizeTarget('/?'), { path: '/', query: '?' });
  assert.equal(path('/.well-known/agent-card.json'), '/.well-known/agent-card.json');
  assert.equal(path('/a/b.'), '/a/b.');
  assert.equal(path('/a/..b'), '/a/..b');
});

test('dot segments resolve, repeated slashes collapse, a trailing slash is kept', () => {
  assert.equal(path('/a/../b'), '/b');
  assert.equal(path('/a/./b'), '/a/b');
  assert.equal(path('//a///b'), '/a/b');
  assert.equal(path('/a/b/..'), '/a/');
  assert.equal(path('/a/.'), '/a/');
  assert.equal(path('/a//'), '/a/');
  assert.equal(path('//'), '/');
  assert.equal(path('/a/..'), '/');
});

test('encoded dots are dot segments; unreserved escapes decode, hex is upper-cased', () => {
  assert.equal(path('/a/%2e%2e/b'), '/b');
  assert.equal(path('/a/%2E./b'), '/b');
  assert.equal(path('/a/.%2e'), '/');
  assert.equal(path('/%7Euser/%41'), '/~user/A');
  assert.equal(path('/a%20b'), '/a%20b');
  assert.equal(path('/a%3fb'), '/a%3Fb');
  assert.equal(path('/100%25'), '/100%25');
});

test('an encoded slash stays encoded and is not a segment boundary', () => {
  assert.equal(path('/v1%2Fadmin'), '/v1%2Fadmin');
  assert.equal(path('/v1%2fadmin'), '/v1%2Fadmin');
  assert.equal(path('/a/..%2F..%2Fetc'), '/a/..%2F..%2Fetc');
});

test('".." above the root is refused, raw or encoded', () => {
  for (const u of ['/..', '/../a', '/a/../..', '/%2e%2e', '/%2E%2E/x', '/a/%2e%2e/%2e%2e/b']) assert.equal(normalizeTarget(u), null, u);
});

test('NUL, control bytes, backslash, fragments, bad escapes and non-origin forms are refused', () => {
  for (const u of ['/a%00b', '/%00', '/a\u0000b', '/a\\..\\b', '/a b', '/a\u007f', '/caf\u00e9', '/a#b', '/a?x#y',
    '/a%', '/a%2', '/a%zz', '/a%2?x', 'http://evil/x', '*', '', undefined]) {
    assert.equal(normalizeTarget(u), null, JSON.stringify(u));
  }
});
