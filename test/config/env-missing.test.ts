// A missing ${VAR} is an error that names the variable and its position, never a value.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { configError, issueAt } from './support.js';

test('a missing variable is named, with the path and position of the value', () => {
  const secret = 'sk-live-0123456789abcdef';
  const err = configError(`gateway:
  admin: { port: 0, token: "\${ADMIN_TOKEN}" }
listeners:
  - name: edge
    port: 0
    routes: []
backends:
  app: { http: { url: "http://127.0.0.1:9/\${OTHER_SECRET}" } }
`, { OTHER_SECRET: secret });
  const issue = issueAt(err, 'gateway.admin.token');
  assert.deepEqual([issue.line, issue.column], [2, 28]);
  assert.match(issue.message, /environment variable ADMIN_TOKEN is not set/);
  assert.match(issue.message, /\$\{ADMIN_TOKEN:-default\}/);
  assert.equal(err.issues.length, 1);
  assert.ok(!err.message.includes(secret), 'a set variable\'s value must not appear in the error');
});

test('a variable set to the empty string counts as set when there is no default', () => {
  // As in the shell: only `:-` treats empty as unset.
  const err = configError('listeners:\n  - { name: "x${EMPTY}", port: abc, routes: [] }\n', { EMPTY: '' });
  assert.deepEqual(err.issues.map((i) => i.path), ['listeners[0].port']);
});
