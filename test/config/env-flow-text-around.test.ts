// A reference with text around it inside a flow mapping is substituted in place, quoted
// or not.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { load } from './support.js';

const config = (url: string) => `gateway: { admin: off }
listeners: [{ name: edge, port: 0, routes: [{ name: web, backend: app }] }]
backends:
  app: { http: { url: ${url} } }
`;

test('{ url: "http://${HOST}:8080" } substitutes inside the quoted text', () => {
  const b = load(config('"http://${HOST}:8080/v1"'), { HOST: 'upstream.test' }).backends.get('app')!;
  assert.ok(b.kind === 'http');
  assert.equal(b.origin, 'http://upstream.test:8080');
  assert.equal(b.basePath, '/v1');
});

test('{ url: http://${HOST}:8080 } substitutes inside unquoted text', () => {
  const b = load(config('http://${HOST}:8080'), { HOST: 'upstream.test' }).backends.get('app')!;
  assert.ok(b.kind === 'http');
  assert.equal(b.origin, 'http://upstream.test:8080');
});
