// A CORS policy may not allow credentials for every origin: that would let any site
// make credentialed calls as the user. The config names the offending key.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { configError } from './support.js';

test('cors allowCredentials with allowOrigins "*" is a config error', () => {
  const err = configError(`listeners:
  - name: edge
    port: 0
    routes: [{ name: r, backend: b, policies: [web] }]
backends:
  b: { http: { url: "http://127.0.0.1:1" } }
policies:
  web:
    cors:
      allowOrigins: ["*"]
      allowCredentials: true
`);
  const issue = err.issues.find((i) => i.path === 'policies.web.cors.allowCredentials');
  assert.ok(issue, err.message);
  assert.match(issue.message, /cannot be combined/);
  assert.equal(issue.line, 11);
});
