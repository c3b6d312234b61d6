// Regression: a backend url that passes the schema's ^https?:// pattern but is not a URL
// ("http://") crashed compilation with a TypeError instead of a config error.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { configError, issueAt } from './support.js';

test('url: "http://" is a config error at the url', () => {
  const err = configError(`gateway: { admin: off }
listeners: []
backends:
  app:
    http: { url: "http://" }
`);
  const issue = issueAt(err, 'backends.app.http.url');
  assert.deepEqual([issue.line, issue.column], [5, 18]);
  assert.equal(issue.message, 'is not a valid URL');
});

test('a url with credentials is refused', () => {
  const err = configError('gateway: { admin: off }\nlisteners: []\nbackends:\n  app: { http: { url: "http://user:pw@127.0.0.1:9" } }\n');
  assert.match(issueAt(err, 'backends.app.http.url').message, /credentials in the URL are not allowed/);
});
