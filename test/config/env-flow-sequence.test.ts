// Unquoted references as the items of a flow sequence, `[${A}, ${B}]`, are each substituted.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { load } from './support.js';

test('[${A}, ${B}] yields both values in order', () => {
  const rt = load(`gateway: { admin: off }
listeners:
  - name: edge
    port: 0
    routes:
      - { name: web, backend: app, match: { methods: [\${A}, \${B}] } }
backends:
  app: { http: { url: "http://127.0.0.1:9" } }
`, { A: 'get', B: 'post' });
  assert.deepEqual([...rt.listeners[0]!.routes[0]!.methods!], ['GET', 'POST']);
});
