// Listener names are unique; the second use is the error.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { configError, issueAt } from './support.js';

test('a listener name used twice is reported on the second listener', () => {
  const err = configError(`gateway: { admin: off }
listeners:
  - { name: edge, port: 0, routes: [] }
  - { name: edge, port: 0, routes: [] }
`);
  const issue = issueAt(err, 'listeners[1].name');
  assert.deepEqual([issue.line, issue.column], [4, 13]);
  assert.equal(issue.message, 'duplicate listener name "edge" (also listeners[0])');
});
