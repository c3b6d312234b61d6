// docs/errors.md is what scripts/gen-docs.ts generates from the ERRORS registry, so the
// documented codes, statuses and messages are the ones clients get.
import { test } from 'node:test';
import { ERRORS_DOC, renderErrorsDoc } from '../../scripts/gen-docs.js';
import { assertDocInStep } from './doc-drift.js';

test('docs/errors.md matches the ERRORS registry', () => {
  assertDocInStep(ERRORS_DOC, 'src/core/errors.ts', renderErrorsDoc());
});
