// Keeps the error registry honest: a code no phase can produce is either dead or
// undocumented. Every code in ERRORS must be in some phase's list in PHASES, or be
// listed (with its reason) as an any-phase code in scripts/gen-docs.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ERRORS, type ErrorCode } from '../../src/core/index.js';
import { ANY_PHASE, OUTSIDE_PIPELINE, phasesOf } from '../../scripts/gen-docs.js';

test('every error code is produced by at least one phase or documented as any phase', () => {
  const orphans = (Object.keys(ERRORS) as ErrorCode[]).filter((code) => phasesOf(code).length === 0 && ANY_PHASE[code] === undefined && OUTSIDE_PIPELINE[code] === undefined);
  assert.deepEqual(orphans, [], `codes no phase produces: ${orphans.join(', ')}. Add each to the errors of the phase that produces it (src/core/lifecycle.ts) or to ANY_PHASE in scripts/gen-docs.ts, then run \`npm run docs\``);
});
