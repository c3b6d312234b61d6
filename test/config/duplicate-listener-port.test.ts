// Two listeners on the same port is an error on the second one, naming the first.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { configError, issueAt, load } from './support.js';

test('a port used twice is reported on the second listener', () => {
  const err = configError(`gateway: { admin: off }
listeners:
  - { name: a, port: 18080, routes: [] }
  - { name: b, port: 18080, routes: [] }
`);
  const issue = issueAt(err, 'listeners[1].port');
  assert.deepEqual([issue.line, issue.column], [4, 22]);
  assert.equal(issue.message, 'port 18080 is already used by listeners[0]');
});

test('port 0 may repeat: each picks its own free port', () => {
  assert.equal(load('gateway: { admin: off }\nlisteners:\n  - { name: a, port: 0, routes: [] }\n  - { name: b, port: 0, routes: [] }\n').listeners.length, 2);
});

test('a listener on the default admin port clashes with the admin listener', () => {
  const err = configError('listeners:\n  - { name: a, port: 15000, routes: [] }\n');
  assert.match(issueAt(err, 'listeners[0].port').message, /admin port/);
});
