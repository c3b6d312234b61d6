// A listener or route naming a policy that does not exist is an error with a suggestion.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { configError, issueAt } from './support.js';

test('misspelt policy references on a listener and a route suggest the nearest policy', () => {
  const err = configError(`gateway: { admin: off }
listeners:
  - name: edge
    port: 0
    policies: [browsr]
    routes:
      - name: web
        backend: app
        policies: [browser, local-wep]
backends:
  app: { http: { url: "http://127.0.0.1:9" } }
policies:
  browser: { cors: { allowOrigins: ["*"] } }
  local-web: { cors: { allowOrigins: ["http://localhost:3000"] } }
`);
  assert.equal(err.issues.length, 2, err.message);
  const onListener = issueAt(err, 'listeners[0].policies[0]');
  assert.deepEqual([onListener.line, onListener.column], [5, 16]);
  assert.equal(onListener.message, 'unknown policy "browsr"; did you mean "browser"?');
  const onRoute = issueAt(err, 'listeners[0].routes[0].policies[1]');
  assert.deepEqual([onRoute.line, onRoute.column], [9, 29]);
  assert.equal(onRoute.message, 'unknown policy "local-wep"; did you mean "local-web"?');
});
