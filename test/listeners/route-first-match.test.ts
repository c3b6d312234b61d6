// Routing end to end: the first route in file order whose conditions all hold gets the
// request. Each route has its own backend, mounted on its own path of one upstream, so the
// path the upstream sees names the route that matched.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'undici';
import { startGateway } from '../helpers/gateway.js';
import { startUpstream } from '../helpers/upstream.js';

const routes: [name: string, match: string][] = [
  ['admin', '{ path: /v1/admin }'],
  ['tenant', '{ path: /v1, headers: { x-tenant: acme } }'],
  ['versioned', '{ path: /v1, headers: { x-version: { regex: "^2\\\\." } } }'],
  ['debug', '{ path: /v1, headers: { x-debug: { present: true } } }'],
  ['writes', '{ path: /v1, methods: [post, PUT] }'],
  ['wild', '{ path: /v1, host: "*.example.com" }'],
  ['exact', '{ path: /v1, host: API.Example.org }'],
  ['v1', '{ path: /v1/ }'],
];

test('first match in file order wins; path, host, method and header conditions', async (t) => {
  const up = await startUpstream();
  const yaml = `gateway: { admin: off }
listeners:
  - name: edge
    port: 0
    routes:
${routes.map(([n, m]) => `      - { name: ${n}, match: ${m}, backend: ${n} }`).join('\n')}
backends:
${routes.map(([n]) => `  ${n}: { http: { url: "${up.url}/${n}" } }`).join('\n')}
`;
  const gw = await startGateway(yaml);
  t.after(async () => { await gw.close(); await up.close(); });

  const routeOf = async (path: string, opts: { method?: string; headers?: Record<string, string> } = {}): Promise<string> => {
    const res = await request(`${gw.url()}${path}`, { method: (opts.method ?? 'GET') as 'GET', headers: opts.headers ?? {} });
    const text = await res.body.text();
    if (res.statusCode !== 200) return String(res.statusCode);
    const seen = (JSON.parse(text) as { url: string }).url;
    return seen.slice(1, seen.indexOf('/', 1));
  };

  // Path prefixes on segment boundaries.
  assert.equal(await routeOf('/v1'), 'v1');
  assert.equal(await routeOf('/v1/'), 'v1');
  assert.equal(await routeOf('/v1/models'), 'v1');
  assert.equal(await routeOf('/v1?q=1'), 'v1');
  assert.equal(await routeOf('/v10'), '404');
  assert.equal(await routeOf('/v1/admin'), 'admin');
  assert.equal(await routeOf('/v1/admin/keys'), 'admin');
  assert.equal(await routeOf('/v1/administrator'), 'v1');

  // An earlier route wins even when a later one also matches.
  assert.equal(await routeOf('/v1/admin', { headers: { 'x-tenant': 'acme' } }), 'admin');
  assert.equal(await routeOf('/v1/x', { headers: { 'x-tenant': 'acme', 'x-debug': '1' } }), 'tenant');
  assert.equal(await routeOf('/v1/x', { method: 'POST', headers: { 'x-debug': '1' } }), 'debug');

  // Headers: exact (case-sensitive value), regex, present.
  assert.equal(await routeOf('/v1/x', { headers: { 'x-tenant': 'ACME' } }), 'v1');
  assert.equal(await routeOf('/v1/x', { headers: { 'x-version': '2.4' } }), 'versioned');
  assert.equal(await routeOf('/v1/x', { headers: { 'x-version': '1.9' } }), 'v1');
  assert.equal(await routeOf('/v1/x', { headers: { 'x-debug': '' } }), 'debug');

  // Methods, configured in any case.
  assert.equal(await routeOf('/v1/x', { method: 'POST' }), 'writes');
  assert.equal(await routeOf('/v1/x', { method: 'PUT' }), 'writes');
  assert.equal(await routeOf('/v1/x', { method: 'DELETE' }), 'v1');

  // Hosts: "*." is any subdomain but not the domain itself; the port is ignored; any case.
  assert.equal(await routeOf('/v1/x', { headers: { host: 'a.example.com' } }), 'wild');
  assert.equal(await routeOf('/v1/x', { headers: { host: 'A.B.EXAMPLE.COM:8443' } }), 'wild');
  assert.equal(await routeOf('/v1/x', { headers: { host: 'example.com' } }), 'v1');
  assert.equal(await routeOf('/v1/x', { headers: { host: 'api.example.org:9000' } }), 'exact');
  assert.equal(await routeOf('/v1/x', { headers: { host: 'api.example.org.' } }), 'exact');
  assert.equal(await routeOf('/v1/x', { headers: { host: 'x.api.example.org' } }), 'v1');
});
