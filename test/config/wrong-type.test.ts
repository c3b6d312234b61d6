// A value of the wrong type names its path and position and says what type is expected.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { configError, issueAt } from './support.js';

test('port: "abc" is rejected at its exact position', () => {
  const err = configError(`listeners:
  - name: edge
    port: abc
    routes: []
`);
  const issue = issueAt(err, 'listeners[0].port');
  assert.equal(issue.line, 3);
  assert.equal(issue.column, 11);
  assert.equal(issue.message, 'must be an integer');
});

test('an out-of-range port says the bound', () => {
  const err = configError('listeners:\n  - { name: edge, port: 70000, routes: [] }\n');
  assert.match(issueAt(err, 'listeners[0].port').message, /must be <= 65535/);
});

test('a bad duration says what a duration looks like', () => {
  const err = configError('gateway: { admin: off, drainTimeout: 30 seconds }\nlisteners: []\n');
  assert.match(issueAt(err, 'gateway.drainTimeout').message, /must be a duration: .*"30s"/);
});

test('an enum value outside the set lists the allowed values', () => {
  const err = configError('gateway: { admin: off, accessLog: { format: xml } }\nlisteners: []\n');
  assert.equal(issueAt(err, 'gateway.accessLog.format').message, 'must be one of: "json", "text", "off"');
});
