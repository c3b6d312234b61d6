// docs/lifecycle.md is what scripts/gen-docs.ts generates from PHASES, so the documented
// order of phases and the errors each can produce are the ones the pipeline runs.
import { test } from 'node:test';
import { LIFECYCLE_DOC, renderLifecycleDoc } from '../../scripts/gen-docs.js';
import { assertDocInStep } from './doc-drift.js';

test('docs/lifecycle.md matches the PHASES list', () => {
  assertDocInStep(LIFECYCLE_DOC, 'src/core/lifecycle.ts', renderLifecycleDoc());
});
