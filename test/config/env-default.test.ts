// ${VAR:-default} uses the default when VAR is unset or empty, and VAR's value otherwise.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { load } from './support.js';

const yaml = `gateway: { admin: off }
listeners:
  - name: edge
    host: \${HOST:-127.0.0.1}
    port: 0
    routes: [{ name: web, backend: app }]
backends:
  app: { http: { url: "\${UPSTREAM:-http://127.0.0.1:9}/base" } }
`;

test('unset variables take their defaults', () => {
  const rt = load(yaml, {});
  assert.equal(rt.listeners[0]!.host, '127.0.0.1');
  const b = rt.backends.get('app')!;
  assert.ok(b.kind === 'http');
  assert.equal(b.origin, 'http://127.0.0.1:9');
});

test('empty variables take their defaults', () => {
  const rt = load(yaml, { HOST: '', UPSTREAM: '' });
  assert.equal(rt.listeners[0]!.host, '127.0.0.1');
});

test('set variables win over the default', () => {
  const rt = load(yaml, { HOST: '0.0.0.0', UPSTREAM: 'https://upstream.test:8443' });
  assert.equal(rt.listeners[0]!.host, '0.0.0.0');
  const b = rt.backends.get('app')!;
  assert.ok(b.kind === 'http');
  assert.equal(b.origin, 'https://upstream.test:8443');
  assert.equal(b.basePath, '/base');
});
