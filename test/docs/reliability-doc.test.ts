// docs/reliability.md names, for each case of the reliability brief, the test files that
// prove it: every named file must exist and hold tests, and the cases marked required must
// name at least one, so a renamed or deleted test cannot leave the page claiming what
// nothing checks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..', '..');

test('every test file docs/reliability.md names exists and holds tests; required cases name one', () => {
  const doc = readFileSync(join(root, 'docs', 'reliability.md'), 'utf8');
  const rows = [...doc.matchAll(/^\| (\d+) \| ([^|]*) \| ([^\n]*) \|$/gm)];
  assert.deepEqual(rows.map((r) => Number(r[1])), Array.from({ length: 30 }, (_, i) => i + 1), 'one row per case, 1 to 30');
  for (const [, n, what, proof] of rows) {
    const files = [...proof!.matchAll(/`(test\/[^`]+\.test\.ts)`/g)].map((m) => m[1]!);
    if (what!.includes('(required)')) assert.ok(files.length > 0, `case ${n} is required and names no test`);
    for (const f of files) {
      assert.ok(existsSync(join(root, f)), `case ${n} names ${f}, which does not exist`);
      assert.match(readFileSync(join(root, f), 'utf8'), /\btest\(/, `${f} holds no test`);
    }
  }
});
