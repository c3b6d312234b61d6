// Shared by the docs tests: compares a committed, generated doc with what the generator
// writes now, and names the first line that differs so the failure says where to look.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { ROOT } from '../../scripts/gen-docs.js';

export function assertDocInStep(relPath: string, source: string, expected: string): void {
  let committed: string;
  try {
    committed = readFileSync(join(ROOT, relPath), 'utf8');
  } catch {
    assert.fail(`${relPath} is missing; run \`npm run docs\` and commit it`);
  }
  if (committed === expected) return;
  const a = committed.split('\n');
  const b = expected.split('\n');
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  assert.fail(
    `${relPath} is out of date with ${source}; run \`npm run docs\` and commit the result.\n` +
    `first difference at line ${i + 1}:\n  committed: ${JSON.stringify(a[i] ?? '<end of file>')}\n  generated: ${JSON.stringify(b[i] ?? '<end of file>')}`,
  );
}
