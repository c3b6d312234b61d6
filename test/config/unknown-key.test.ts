// An unknown key names its YAML path, line and column, and suggests the nearest valid key.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { configError, issueAt } from './support.js';

test('a misspelt top-level key points at the key and suggests "listeners"', () => {
  const err = configError(`gateway:
  admin: off
listners: []
listeners: []
`);
  const issue = issueAt(err, 'listners');
  assert.equal(issue.line, 3);
  assert.equal(issue.column, 1);
  assert.match(issue.message, /unknown key "listners"; did you mean "listeners"\?/);
});

test('a misspelt key in a route names the full path and suggests "backend"', () => {
  const err = configError(`gateway:
  admin: off
listeners:
  - name: edge
    port: 0
    routes:
      - name: web
        bakend: app
backends:
  app:
    http: { url: "http://127.0.0.1:9" }
`);
  const issue = issueAt(err, 'listeners[0].routes[0].bakend');
  assert.equal(issue.line, 8);
  assert.equal(issue.column, 9);
  assert.match(issue.message, /did you mean "backend"\?/);
  // The required key it replaced is reported too, on the route itself.
  assert.match(issueAt(err, 'listeners[0].routes[0]').message, /missing required key "backend"/);
});

test('a key with no near match lists the valid keys instead', () => {
  const err = configError(`listeners:
  - name: edge
    port: 0
    routes: []
    zzzzzzzz: 1
`);
  assert.match(issueAt(err, 'listeners[0].zzzzzzzz').message, /valid keys: name, host, port, tls, publicUrl, policies, limits, routes$/);
});
