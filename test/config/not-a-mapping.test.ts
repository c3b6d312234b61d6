// A file that is empty, only comments, or not a mapping is rejected with a clear message.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { configError, issueAt } from './support.js';

test('an empty file', () => {
  assert.match(issueAt(configError(''), '').message, /^the file is empty; it must be a YAML mapping with at least `listeners:`$/);
});

test('a file with only comments counts as empty', () => {
  assert.match(issueAt(configError('# nothing yet\n'), '').message, /^the file is empty/);
});

test('a list at the top level', () => {
  const issue = issueAt(configError('# a list\n- name: edge\n'), '');
  assert.deepEqual([issue.line, issue.column], [2, 1]);
  assert.match(issue.message, /^the file holds a list; it must be a YAML mapping/);
});

test('a scalar at the top level', () => {
  assert.match(issueAt(configError('hello'), '').message, /^the file holds a string/);
});

test('a mapping without listeners', () => {
  assert.equal(issueAt(configError('gateway: { admin: off }\n'), '').message, 'missing required key "listeners"');
});
