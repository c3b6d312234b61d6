// No ConfigError message ever contains the value of an environment variable: not the
// admin token, not when the value is echoed by a check elsewhere in the same file, and
// not in its base64 or URL-encoded forms.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { configError, errorOf, issueAt } from './support.js';
import { loadConfigText } from '../../src/gateway/config.js';

const TOKEN = 'adm-tok/3f9c+41e0a7b5d=2c';
const forms = [TOKEN, encodeURIComponent(TOKEN), Buffer.from(TOKEN).toString('base64')];

function assertNoSecret(text: string): void {
  for (const f of forms) assert.ok(!text.includes(f), `error text contains a form of the secret:\n${text}`);
}

test('the admin token from the environment does not appear in a check that echoes a value', () => {
  const err = configError(`gateway:
  admin: { port: 0, token: "\${ADMIN_TOKEN}" }
listeners:
  - name: edge
    port: 0
    routes:
      - name: web
        backend: "\${ADMIN_TOKEN}"
`, { ADMIN_TOKEN: TOKEN });
  // The check still fires, with the value redacted.
  assert.equal(issueAt(err, 'listeners[0].routes[0].backend').message, 'unknown backend "[redacted]"; no backends are defined');
  assertNoSecret(err.message);
  assertNoSecret(JSON.stringify(err.issues));
});

test('compile-time errors (TLS files, regexes) do not reveal it either', () => {
  const err = configError(`gateway:
  admin: { port: 0, token: "\${ADMIN_TOKEN}" }
listeners:
  - name: edge
    port: 0
    tls: { cert: "./\${ADMIN_TOKEN}.pem", key: "./k-\${ADMIN_TOKEN}" }
    routes:
      - name: api
        backend: app
        match: { headers: { x-re: { regex: "(\${ADMIN_TOKEN}" } } }
backends:
  app: { http: { url: "http://127.0.0.1:9/\${ADMIN_TOKEN}" } }
`, { ADMIN_TOKEN: TOKEN });
  assert.match(issueAt(err, 'listeners[0].tls.cert').message, /^cannot read cert file "\.\/\[redacted\]\.pem"/);
  assert.match(issueAt(err, 'listeners[0].tls.key').message, /\[redacted\]/);
  issueAt(err, 'listeners[0].routes[0].match.headers.x-re.regex');
  assertNoSecret(err.message);
  assertNoSecret(JSON.stringify(err.issues));
});

test('a schema error next to an env-provided secret does not reveal it', () => {
  const err = configError(`gateway:
  admin: { port: 0, token: "\${ADMIN_TOKEN}", tokn: x }
listeners: []
`, { ADMIN_TOKEN: TOKEN });
  assert.match(issueAt(err, 'gateway.admin.tokn').message, /did you mean "token"/);
  assertNoSecret(err.message);
});

test('a missing-variable error names the variable and no value of any other', () => {
  const err = errorOf(() => loadConfigText('listeners:\n  - name: "${NAME}"\n    port: 0\n    routes: []\n    host: "${HOST_SECRET}"\n', '/virtual/agentedge.yaml', { HOST_SECRET: TOKEN }));
  assert.match(err.message, /NAME is not set/);
  assertNoSecret(err.message);
});
