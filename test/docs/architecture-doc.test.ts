// docs/architecture.md names the files of each seam; every one of them must exist, so the
// page cannot drift from the code it describes without this test failing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';

const root = new URL('../../', import.meta.url);

test('every source file docs/architecture.md names exists', () => {
  const text = readFileSync(new URL('docs/architecture.md', root), 'utf8');
  const named = new Set<string>();
  for (const m of text.matchAll(/`((?:src\/)?[a-z0-9-]+\/[a-z0-9./-]+\.(?:ts|md))`/g)) named.add(m[1]!);
  assert.ok(named.size >= 10, `expected the page to name its files, found ${[...named].join(', ')}`);
  const missing = [...named].filter((f) => !existsSync(new URL(f.startsWith('src/') || f.startsWith('test/') ? f : `src/${f}`, root)));
  assert.deepEqual(missing, [], `docs/architecture.md names files that do not exist: ${missing.join(', ')}`);
});
