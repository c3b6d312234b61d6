// Regression: backend and policy names were declared with a pattern the schema never
// enforced (patternProperties without additionalProperties: false), so "my backend" passed.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { configError, issueAt } from './support.js';

test('a backend name with a space is rejected at the key', () => {
  const err = configError(`listeners: []
backends:
  my backend:
    http: { url: "http://127.0.0.1:9" }
`);
  const issue = issueAt(err, 'backends["my backend"]');
  assert.deepEqual([issue.line, issue.column], [3, 3]);
  assert.match(issue.message, /^invalid key "my backend": must be a name of 1 to 64 letters/);
});

test('a policy name longer than 64 characters is rejected', () => {
  const long = 'p'.repeat(65);
  const err = configError(`listeners: []\npolicies:\n  ${long}: { cors: { allowOrigins: ["*"] } }\n`);
  assert.match(issueAt(err, `policies.${long}`).message, /^invalid key/);
});

test('a header name with a space is rejected in a route match', () => {
  const err = configError(`listeners:
  - name: edge
    port: 0
    routes: [{ name: web, backend: app, match: { headers: { "x tenant": a } } }]
backends:
  app: { http: { url: "http://127.0.0.1:9" } }
`);
  assert.match(issueAt(err, 'listeners[0].routes[0].match.headers["x tenant"]').message, /^invalid key "x tenant": must be a header name$/);
});
