// A key repeated in one YAML mapping (here a backend) is a YAML error with its position,
// not a silent "last one wins".
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { configError } from './support.js';

test('a backend defined twice is reported at the second definition', () => {
  const err = configError(`listeners: []
backends:
  app:
    http: { url: "http://127.0.0.1:9" }
  app:
    http: { url: "http://127.0.0.1:10" }
`);
  assert.equal(err.issues.length, 1, err.message);
  const issue = err.issues[0]!;
  assert.equal(issue.path, 'backends.app');
  assert.deepEqual([issue.line, issue.column], [5, 3]);
  assert.match(issue.message, /duplicate key/);
});
