// A YAML syntax error is reported with its line and column, once, not as a cascade.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { configError } from './support.js';

test('an unclosed flow sequence is reported where YAML notices it', () => {
  const err = configError(`listeners:
  - name: edge
    port: 0
    routes: [
backends: {}
`);
  assert.ok(err.issues.length >= 1, err.message);
  const first = err.issues[0]!;
  assert.deepEqual([first.line, first.column], [5, 1]);
  assert.match(first.message, /flow sequence/i);
});

test('a tab used for indentation is reported on its line', () => {
  const err = configError('listeners:\n\t- name: edge\n');
  const first = err.issues[0]!;
  assert.equal(first.line, 2);
  assert.equal(first.column, 1);
});

test('several documents in one file are rejected', () => {
  const err = configError('listeners: []\n---\nlisteners: []\n');
  assert.deepEqual([err.issues[0]!.line, err.issues[0]!.column], [2, 1]);
  assert.match(err.issues[0]!.message, /multiple documents/);
});
