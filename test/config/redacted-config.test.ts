// redactedConfig() (what the admin API's /config shows) hides gateway.admin.token and any
// string containing a secret value, raw, base64- or URL-encoded.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { redactedConfig, REDACTED } from '../../src/config/index.js';
import { load } from './support.js';

const TOKEN = 'tok-0123456789/abcdef+xyz';
const UPSTREAM_KEY = 'up-key-9876543210';

test('the admin token and every form of every secret are redacted', () => {
  const rt = load(`gateway:
  admin: { port: 0, token: "\${ADMIN_TOKEN}" }
listeners:
  - name: edge
    port: 0
    routes:
      - name: web
        backend: app
        match:
          headers:
            x-raw: "k=\${UPSTREAM_KEY}"
            x-b64: "Basic ${Buffer.from(UPSTREAM_KEY).toString('base64')}"
            x-url: "t=${encodeURIComponent(TOKEN)}"
backends:
  app: { http: { url: "http://127.0.0.1:9/\${UPSTREAM_KEY}" } }
`, { ADMIN_TOKEN: TOKEN, UPSTREAM_KEY });
  const shown = redactedConfig(rt) as any;
  assert.equal(shown.gateway.admin.token, REDACTED);
  const headers = shown.listeners[0].routes[0].match.headers;
  assert.equal(headers['x-raw'], `k=${REDACTED}`);
  assert.equal(headers['x-b64'], `Basic ${REDACTED}`);
  assert.equal(headers['x-url'], `t=${REDACTED}`);
  assert.equal(shown.backends.app.http.url, `http://127.0.0.1:9/${REDACTED}`);
  const text = JSON.stringify(shown);
  for (const s of [TOKEN, UPSTREAM_KEY]) {
    for (const form of [s, encodeURIComponent(s), Buffer.from(s).toString('base64')]) assert.ok(!text.includes(form), form);
  }
  // Everything else is shown as loaded.
  assert.equal(shown.listeners[0].name, 'edge');
  assert.equal(shown.gateway.admin.port, 0);
});

test('a token written literally in the file is redacted too', () => {
  const rt = load('gateway:\n  admin: { port: 0, token: literal-token-1234567 }\nlisteners: []\n');
  assert.equal((redactedConfig(rt) as any).gateway.admin.token, REDACTED);
  assert.ok(rt.secrets.includes('literal-token-1234567'));
});

test('redaction leaves the runtime config untouched', () => {
  const rt = load('gateway:\n  admin: { port: 0, token: "${T}" }\nlisteners: []\n', { T: TOKEN });
  redactedConfig(rt);
  assert.equal(rt.gateway.admin!.token!.reveal(), TOKEN);
  assert.equal(String(rt.gateway.admin!.token), REDACTED);
});
