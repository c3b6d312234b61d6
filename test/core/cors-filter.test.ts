// corsFilter as pure logic: the decision for each kind of request, without sockets.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { CorsSpec } from '../../src/config/index.js';
import type { RequestContext } from '../../src/core/context.js';
import { corsFilter } from '../../src/core/cors.js';
import type { Decision } from '../../src/core/lifecycle.js';

/** The CORS filter is synchronous; a promise here would be a bug. */
const run = (spec: CorsSpec, c: RequestContext): Decision => corsFilter('web', spec).run(c) as Decision;

const base: CorsSpec = {
  origins: [{ exact: 'https://app.example.com' }, { scheme: 'https', suffix: '.example.org' }],
  allowMethods: 'GET, POST',
  allowHeaders: null,
  exposeHeaders: 'x-request-id',
  allowCredentials: false,
  maxAgeSeconds: 600,
};

function ctx(method: string, headers: Record<string, string>): RequestContext & { added: Record<string, string> } {
  const added: Record<string, string> = {};
  return { method, req: { headers }, added, addResponseHeader: (k: string, v: string) => { added[k] = v; } } as unknown as RequestContext & { added: Record<string, string> };
}

test('no Origin: continue, nothing added', () => {
  const c = ctx('GET', {});
  assert.deepEqual(run(base, c), { kind: 'continue' });
  assert.deepEqual(c.added, {});
});

test('preflight from an allowed origin: respond 204 with the CORS headers', () => {
  const d = run(base, ctx('OPTIONS', { origin: 'https://app.example.com', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type, authorization' }));
  assert.deepEqual(d, {
    kind: 'respond', status: 204, headers: {
      'access-control-allow-origin': 'https://app.example.com',
      'access-control-allow-methods': 'GET, POST',
      'access-control-allow-headers': 'content-type, authorization',
      'access-control-max-age': '600',
      'vary': 'Origin, Access-Control-Request-Method, Access-Control-Request-Headers',
    },
  });
});

test('simple request from an allowed origin: continue with allow-origin, vary and expose headers', () => {
  const c = ctx('POST', { origin: 'HTTPS://APP.example.com' });
  assert.deepEqual(run(base, c), { kind: 'continue' });
  assert.deepEqual(c.added, { 'access-control-allow-origin': 'HTTPS://APP.example.com', vary: 'Origin', 'access-control-expose-headers': 'x-request-id' });
});

test('wildcard subdomains: any depth, same scheme, no bare domain, no port, path or userinfo', () => {
  const allowed = (origin: string) => run(base, ctx('GET', { origin })).kind === 'continue';
  assert.ok(allowed('https://a.example.org'));
  assert.ok(allowed('https://a-b.c.example.org'));
  for (const o of ['https://example.org', 'http://a.example.org', 'https://.example.org', 'https://a.example.org:8443', 'https://evil.com/.example.org',
    'https://evil.com?.example.org', 'https://u@evil.com#.example.org', 'https://a.example.org.evil.com', 'https://aexample.org', 'null']) {
    assert.ok(!allowed(o), o);
  }
});

test('a disallowed origin is an AE_CORS_REJECTED error, preflight or not', () => {
  for (const method of ['GET', 'OPTIONS']) {
    const d = run(base, ctx(method, { origin: 'https://evil.com', 'access-control-request-method': 'GET' }));
    assert.equal(d.kind, 'error');
    assert.equal(d.kind === 'error' && d.error.code, 'AE_CORS_REJECTED');
  }
});

test('"*": any origin gets "*", unless credentials are allowed, when the origin is echoed', () => {
  const c = ctx('GET', { origin: 'https://whoever.test' });
  run({ ...base, origins: [{ any: true }] }, c);
  assert.equal(c.added['access-control-allow-origin'], '*');
  assert.equal(c.added.vary, undefined);
  const c2 = ctx('GET', { origin: 'https://whoever.test' });
  run({ ...base, origins: [{ any: true }], allowCredentials: true }, c2);
  assert.equal(c2.added['access-control-allow-origin'], 'https://whoever.test');
  assert.equal(c2.added['access-control-allow-credentials'], 'true');
});
