// A missing variable inside a flow mapping is reported like one in block style: by name,
// with the path, line and column of its value, and nothing else.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { configError, issueAt } from './support.js';

test('a missing ${UPSTREAM} in { url: ... } names it at its line and column', () => {
  const err = configError(`gateway: { admin: off }
listeners: [{ name: edge, port: 0, routes: [] }]
backends:
  app: { http: { url: \${UPSTREAM} } }
`, {});
  assert.equal(err.issues.length, 1, err.message);
  const issue = issueAt(err, 'backends.app.http.url');
  assert.deepEqual([issue.line, issue.column], [4, 23]);
  assert.match(issue.message, /environment variable UPSTREAM is not set/);
});
