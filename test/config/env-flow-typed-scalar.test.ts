// Inside a flow mapping, as in block style, an unquoted reference that is the whole value
// is typed as if written there (`{ port: ${PORT} }` is a number); a quoted one stays a string.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { configError, issueAt, load } from './support.js';

const config = (port: string) => `gateway: { admin: off }
listeners:
  - { name: edge, port: ${port}, routes: [] }
`;

test('{ port: ${PORT} } becomes a number', () => {
  assert.equal(load(config('${PORT}'), { PORT: '18080' }).listeners[0]!.port, 18080);
});

test('{ port: "${PORT}" } stays a string and is rejected', () => {
  const err = configError(config('"${PORT}"'), { PORT: '18080' });
  assert.equal(issueAt(err, 'listeners[0].port').message, 'must be an integer');
});

test('a whole reference beside other keys of a nested flow mapping is typed too', () => {
  const rt = load(`gateway: { admin: off }
listeners: [{ name: edge, port: 0, routes: [{ name: web, backend: app }] }]
backends:
  app: { http: { url: "http://127.0.0.1:9", retries: \${RETRIES} } }
`, { RETRIES: '3' });
  const b = rt.backends.get('app')!;
  assert.ok(b.kind === 'http');
  assert.equal(b.retries, 3);
});
