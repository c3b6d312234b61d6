// The example in docs/config.md (DOCS_EXAMPLE in scripts/gen-schema.ts) is a valid config.
// It is loaded as if it sat in test/fixtures/, so its ./tls/ paths find the test cert pair.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { DOCS_EXAMPLE } from '../../scripts/gen-schema.js';
import { compileConfig, loadConfigText } from '../../src/gateway/config.js';

test('the documented example loads and compiles', () => {
  const file = fileURLToPath(new URL('../fixtures/docs-example.yaml', import.meta.url));
  const rt = compileConfig(loadConfigText(DOCS_EXAMPLE, file, { ADMIN_TOKEN: 'docs-example-token-0123456789' }));
  assert.equal(rt.listeners[0]!.port, 8443);
  assert.ok(rt.listeners[0]!.tls);
  assert.equal(rt.listeners[0]!.routes.length, 2);
});
