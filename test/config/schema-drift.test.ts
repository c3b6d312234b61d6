// schema/agentedge.schema.json and docs/config.md are generated from src/config/schema.ts
// and committed. This fails while either differs from what the source generates.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { generatedFiles, ROOT } from '../../scripts/gen-schema.js';

for (const { path, content } of generatedFiles()) {
  test(`${path} matches src/config/schema.ts`, () => {
    let committed: string;
    try {
      committed = readFileSync(join(ROOT, path), 'utf8');
    } catch {
      assert.fail(`${path} is missing: run \`npm run schema\` and commit the result`);
    }
    if (committed !== content) {
      const a = committed.split('\n');
      const b = content.split('\n');
      const line = a.findIndex((l, i) => l !== b[i]);
      assert.fail(`${path} is out of date (first difference at line ${(line < 0 ? a.length : line) + 1}): run \`npm run schema\` and commit the result`);
    }
  });
}
