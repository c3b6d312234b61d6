// Route names are unique within a listener (the same name in two listeners is fine).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { configError, issueAt, load } from './support.js';

const backends = 'backends:\n  app: { http: { url: "http://127.0.0.1:9" } }\n';

test('a route name used twice in one listener is reported on the second route', () => {
  const err = configError(`gateway: { admin: off }
listeners:
  - name: edge
    port: 0
    routes:
      - { name: web, backend: app }
      - { name: web, backend: app }
${backends}`);
  const issue = issueAt(err, 'listeners[0].routes[1].name');
  assert.deepEqual([issue.line, issue.column], [7, 17]);
  assert.match(issue.message, /duplicate route name "web" in listener "edge" \(also routes\[0\]\)/);
});

test('the same route name in two listeners is allowed', () => {
  const rt = load(`gateway: { admin: off }
listeners:
  - { name: a, port: 0, routes: [{ name: web, backend: app }] }
  - { name: b, port: 0, routes: [{ name: web, backend: app }] }
${backends}`);
  assert.equal(rt.listeners.length, 2);
});
