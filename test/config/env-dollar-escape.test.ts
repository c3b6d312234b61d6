// `$$` is a literal `$`, so `$${X}` is the literal text `${X}` and is not substituted.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { load } from './support.js';

test('$$ yields $ and escapes a reference', () => {
  const rt = load(`gateway: { admin: off }
listeners:
  - name: edge
    port: 0
    routes:
      - name: web
        backend: app
        match: { headers: { x-price: "$$5", x-template: "$\${NOT_A_VAR}", x-lone: "a$b" } }
backends:
  app: { http: { url: "http://127.0.0.1:9" } }
`, { NOT_A_VAR: 'substituted' });
  const headers = rt.listeners[0]!.routes[0]!.headers!;
  const value = (name: string) => {
    const h = headers.find((x) => x.name === name);
    return h?.kind === 'exact' ? h.value : undefined;
  };
  assert.equal(value('x-price'), '$5');
  assert.equal(value('x-template'), '${NOT_A_VAR}');
  assert.equal(value('x-lone'), 'a$b');
});
