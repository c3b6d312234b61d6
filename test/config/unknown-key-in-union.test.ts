// Regression: a key inside a union (gateway.admin is a mapping or "off") used to be
// reported as one vague "must be ..." message (or a crash), not as the unknown key it is.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { configError, issueAt } from './support.js';

test('an unknown key under gateway.admin is reported as such, with a suggestion', () => {
  const err = configError(`gateway:
  admin: { hots: 127.0.0.1 }
listeners: []
`);
  assert.equal(err.issues.length, 1, err.message);
  const issue = issueAt(err, 'gateway.admin.hots');
  assert.deepEqual([issue.line, issue.column], [2, 12]);
  assert.match(issue.message, /did you mean "host"\?/);
});

test('a scalar that fits no branch gets one message that says what is accepted', () => {
  const err = configError(`gateway:
  admin: disabled
listeners: []
`);
  assert.equal(err.issues.length, 1, err.message);
  assert.match(issueAt(err, 'gateway.admin').message, /must be an admin mapping \(host, port, token\) or "off"/);
});

test('a list element of the wrong type inside a union is pinpointed', () => {
  const err = configError(`listeners:
  - name: edge
    port: 0
    routes:
      - { name: r, backend: b, match: { host: [ok.example.com, 7] } }
backends:
  b: { http: { url: "http://127.0.0.1:9" } }
`);
  assert.equal(err.issues.length, 1, err.message);
  assert.match(issueAt(err, 'listeners[0].routes[0].match.host[1]').message, /must be a string/);
});
