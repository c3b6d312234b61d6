// Values from environment variables whose names say "secret" (…KEY, …TOKEN, …PASSWORD)
// are redacted wherever the config is shown; other values (an upstream URL) stay
// readable, so /config is useful to an operator.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { redactedConfig } from '../../src/config/index.js';
import { load } from './support.js';

test('secret-named env values are redacted, others are shown', () => {
  const rt = load(`listeners:
  - name: edge
    port: 0
    routes:
      - name: r
        match: { path: "/\${ROUTE_SEGMENT}" }
        backend: b
backends:
  b: { http: { url: "\${UPSTREAM_URL}" } }
`, { UPSTREAM_URL: 'http://127.0.0.1:9999/base', ROUTE_SEGMENT: 'hunter2-api-key-value' });
  const shown = JSON.stringify(redactedConfig(rt));
  assert.ok(shown.includes('http://127.0.0.1:9999/base'), shown);
  assert.ok(shown.includes('hunter2-api-key-value'), 'a value from a plainly named variable is not a secret');
  assert.deepEqual(rt.secrets, []);

  const secret = load(`listeners:
  - name: edge
    port: 0
    routes:
      - name: r
        match: { path: "/\${TEAM_API_KEY}" }
        backend: b
backends:
  b: { http: { url: "http://127.0.0.1:1" } }
`, { TEAM_API_KEY: 'sk-team-a-0123456789' });
  const hidden = JSON.stringify(redactedConfig(secret));
  assert.ok(!hidden.includes('sk-team-a-0123456789'), hidden);
  assert.ok(hidden.includes('[redacted]'), hidden);
});
