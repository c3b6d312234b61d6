// An unquoted ${VAR} as a value inside a flow mapping is substituted like one in block
// style: `http: { url: ${UPSTREAM} }` is valid YAML for agentedge, not a syntax error.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { load } from './support.js';

test('{ url: ${UPSTREAM} } takes the variable\'s value', () => {
  const rt = load(`gateway: { admin: off }
listeners:
  - { name: edge, port: 0, routes: [{ name: web, backend: app }] }
backends:
  app: { http: { url: \${UPSTREAM} } }
`, { UPSTREAM: 'https://upstream.test:8443/base' });
  const b = rt.backends.get('app')!;
  assert.ok(b.kind === 'http');
  assert.equal(b.origin, 'https://upstream.test:8443');
  assert.equal(b.basePath, '/base');
});

test('{ url: ${UPSTREAM:-default} } takes the default when the variable is unset', () => {
  const rt = load(`gateway: { admin: off }
listeners: [{ name: edge, port: 0, routes: [{ name: web, backend: app }] }]
backends: { app: { http: { url: \${UPSTREAM:-http://127.0.0.1:9} } } }
`, {});
  const b = rt.backends.get('app')!;
  assert.ok(b.kind === 'http');
  assert.equal(b.origin, 'http://127.0.0.1:9');
});
