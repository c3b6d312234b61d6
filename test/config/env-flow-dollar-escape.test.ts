// Inside a flow mapping `$$` is still a literal `$`: `$${X}` is the text `${X}`, not a reference.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { load } from './support.js';

test('{ x-template: $${NOT_A_VAR} } keeps the literal text', () => {
  const rt = load(`gateway: { admin: off }
listeners:
  - name: edge
    port: 0
    routes:
      - { name: web, backend: app, match: { headers: { x-template: $\${NOT_A_VAR}, x-price: $$5 } } }
backends:
  app: { http: { url: "http://127.0.0.1:9" } }
`, { NOT_A_VAR: 'substituted' });
  const headers = rt.listeners[0]!.routes[0]!.headers!;
  const value = (name: string) => {
    const h = headers.find((x) => x.name === name);
    return h?.kind === 'exact' ? h.value : undefined;
  };
  assert.equal(value('x-template'), '${NOT_A_VAR}');
  assert.equal(value('x-price'), '$5');
});
