// A route header regex is compiled at load time; a bad one names its path and position.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { configError, issueAt, load } from './support.js';

const config = (regex: string) => `gateway: { admin: off }
listeners:
  - name: edge
    port: 0
    routes:
      - name: web
        backend: app
        match:
          headers:
            x-tenant: { regex: "${regex}" }
backends:
  app: { http: { url: "http://127.0.0.1:9" } }
`;

test('an unterminated group is a config error at the regex', () => {
  const err = configError(config('^(a'));
  const issue = issueAt(err, 'listeners[0].routes[0].match.headers.x-tenant.regex');
  assert.deepEqual([issue.line, issue.column], [10, 32]);
  assert.equal(issue.message, 'invalid regular expression: Unterminated group');
});

test('a valid regex compiles into the runtime model', () => {
  const h = load(config('^[a-z]+$')).listeners[0]!.routes[0]!.headers![0]!;
  assert.equal(h.kind, 'regex');
  assert.ok(h.kind === 'regex' && h.regex.test('acme') && !h.regex.test('ACME'));
});
