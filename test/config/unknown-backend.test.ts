// A route naming a backend that does not exist is an error with a suggestion.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { configError, issueAt } from './support.js';

test('a misspelt backend reference suggests the nearest backend', () => {
  const err = configError(`gateway: { admin: off }
listeners:
  - name: edge
    port: 0
    routes:
      - name: web
        backend: websit
backends:
  website: { http: { url: "http://127.0.0.1:9" } }
  models: { http: { url: "http://127.0.0.1:10" } }
`);
  const issue = issueAt(err, 'listeners[0].routes[0].backend');
  assert.deepEqual([issue.line, issue.column], [7, 18]);
  assert.equal(issue.message, 'unknown backend "websit"; did you mean "website"?');
});

test('a reference far from every backend lists the defined ones', () => {
  const err = configError(`gateway: { admin: off }
listeners:
  - { name: edge, port: 0, routes: [{ name: web, backend: zzzzzzzz }] }
backends:
  website: { http: { url: "http://127.0.0.1:9" } }
`);
  assert.equal(issueAt(err, 'listeners[0].routes[0].backend').message, 'unknown backend "zzzzzzzz"; defined: website');
});

test('with no backends at all the message says so', () => {
  const err = configError('gateway: { admin: off }\nlisteners:\n  - { name: edge, port: 0, routes: [{ name: web, backend: app }] }\n');
  assert.equal(issueAt(err, 'listeners[0].routes[0].backend').message, 'unknown backend "app"; no backends are defined');
});
