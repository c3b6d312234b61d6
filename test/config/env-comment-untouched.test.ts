// A reference in a YAML comment is not substituted: a comment naming an unset variable,
// in block or flow style, is no error.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { load } from './support.js';

test('${MISSING} in comments is ignored', () => {
  const rt = load(`# set \${MISSING} before starting
gateway: { admin: off }   # \${MISSING:-x}
listeners:
  - { name: edge, port: 0, routes: [{ name: web, backend: app }] } # { url: \${MISSING} }
backends:
  app: { http: { url: "http://127.0.0.1:9" } }
`, {});
  assert.equal(rt.listeners[0]!.name, 'edge');
});
