// Route matching as pure logic: path prefixes on segment boundaries, hosts, methods,
// header conditions, and first match in file order.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { RouteSpec } from '../../src/config/index.js';
import { findRoute, hostOf, matchPathPrefix, routeMatches, type RouteRequest } from '../../src/core/router.js';

function spec(over: Partial<RouteSpec>): RouteSpec {
  return { name: 'r', listener: 'l', pathPrefix: null, hosts: null, methods: null, headers: null, backend: 'b', publicOrigin: null, policies: [], stripPrefix: false, maxBodyBytes: 1024, maxJsonDepth: 128, ...over };
}
function req(over: Partial<RouteRequest>): RouteRequest {
  return { method: 'GET', host: 'example.com', path: '/', headers: {}, ...over };
}

test('a path prefix matches on segment boundaries only', () => {
  assert.ok(matchPathPrefix('/v1', '/v1'));
  assert.ok(matchPathPrefix('/v1', '/v1/'));
  assert.ok(matchPathPrefix('/v1', '/v1/x'));
  assert.ok(!matchPathPrefix('/v1', '/v10'));
  assert.ok(!matchPathPrefix('/v1', '/v1%2Fx'));
  assert.ok(!matchPathPrefix('/v1/admin', '/v1%2Fadmin'));
  assert.ok(!matchPathPrefix('/v1', '/V1'));
  assert.ok(matchPathPrefix('', '/anything'));
});

test('hosts: exact or any subdomain, compared lower-case without the port', () => {
  assert.equal(hostOf('API.Example.com:8443'), 'api.example.com');
  assert.equal(hostOf('[::1]:8080'), '[::1]');
  assert.equal(hostOf(undefined), '');
  assert.equal(hostOf('api.example.com.'), 'api.example.com');
  assert.equal(hostOf('api.example.com.:443'), 'api.example.com');
  const exact = spec({ hosts: [{ exact: 'api.example.com' }] });
  assert.ok(routeMatches(exact, req({ host: 'api.example.com' })));
  assert.ok(!routeMatches(exact, req({ host: 'x.api.example.com' })));
  const wild = spec({ hosts: [{ suffix: '.example.com' }] });
  assert.ok(routeMatches(wild, req({ host: 'a.example.com' })));
  assert.ok(routeMatches(wild, req({ host: 'a.b.example.com' })));
  assert.ok(!routeMatches(wild, req({ host: 'example.com' })));
  assert.ok(!routeMatches(wild, req({ host: '.example.com' })));
  assert.ok(!routeMatches(wild, req({ host: 'badexample.com' })));
  const either = spec({ hosts: [{ exact: 'one.test' }, { suffix: '.two.test' }] });
  assert.ok(routeMatches(either, req({ host: 'one.test' })));
  assert.ok(routeMatches(either, req({ host: 'x.two.test' })));
  assert.ok(!routeMatches(either, req({ host: 'two.test' })));
});

test('methods and header conditions (exact, regex, present, absent) all have to hold', () => {
  const r = spec({
    methods: new Set(['POST']),
    headers: [
      { name: 'x-tenant', kind: 'exact', value: 'a' },
      { name: 'x-version', kind: 'regex', regex: /^2\./ },
      { name: 'x-debug', kind: 'present', present: true },
      { name: 'x-legacy', kind: 'present', present: false },
    ],
  });
  const ok = { 'x-tenant': 'a', 'x-version': '2.1', 'x-debug': '' };
  assert.ok(routeMatches(r, req({ method: 'POST', headers: ok })));
  assert.ok(!routeMatches(r, req({ method: 'GET', headers: ok })));
  assert.ok(!routeMatches(r, req({ method: 'POST', headers: { ...ok, 'x-tenant': 'A' } })));
  assert.ok(!routeMatches(r, req({ method: 'POST', headers: { ...ok, 'x-version': '1.9' } })));
  assert.ok(!routeMatches(r, req({ method: 'POST', headers: { 'x-tenant': 'a', 'x-version': '2.1' } })));
  assert.ok(!routeMatches(r, req({ method: 'POST', headers: { ...ok, 'x-legacy': '1' } })));
});

test('the first matching route in file order wins', () => {
  const routes = [
    { spec: spec({ name: 'admin', pathPrefix: '/v1/admin' }) },
    { spec: spec({ name: 'v1', pathPrefix: '/v1' }) },
    { spec: spec({ name: 'v1-again', pathPrefix: '/v1' }) },
    { spec: spec({ name: 'all', pathPrefix: '' }) },
  ];
  assert.equal(findRoute(routes, req({ path: '/v1/admin/x' }))?.spec.name, 'admin');
  assert.equal(findRoute(routes, req({ path: '/v1/models' }))?.spec.name, 'v1');
  assert.equal(findRoute(routes, req({ path: '/v10' }))?.spec.name, 'all');
  assert.equal(findRoute(routes.slice(0, 3), req({ path: '/v2' })), null);
});
