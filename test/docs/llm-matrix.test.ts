// docs/llm.md's provider × feature matrix names, for each ✔, the test file that shows it:
// every named file must exist in test/llm and hold tests, so a renamed or deleted test
// cannot leave the matrix claiming what nothing checks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..', '..');

test('every test named by a ✔ in the docs/llm.md matrix exists and has tests', () => {
  const doc = readFileSync(join(root, 'docs', 'llm.md'), 'utf8');
  const matrix = doc.slice(doc.indexOf('| Feature |'), doc.indexOf('## Model routing'));
  const named = [...matrix.matchAll(/✔\s+([a-z0-9-]+)/g)].map((m) => m[1]!);
  assert.ok(named.length >= 30, `the matrix names ${named.length} tests`);
  for (const name of named) {
    const file = join(root, 'test', 'llm', `${name}.test.ts`);
    assert.ok(existsSync(file), `docs/llm.md names ${name}, but test/llm/${name}.test.ts does not exist`);
    assert.match(readFileSync(file, 'utf8'), /\btest\(/, `${file} holds no test`);
  }
});
