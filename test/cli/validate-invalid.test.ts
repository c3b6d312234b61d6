// `agentedge validate FILE` on an invalid file exits 1 and prints every issue on stderr as
// `path (line L, column C): message`, after one line naming the file.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { configFile, ISSUE_LINE, runCli } from './run-cli.js';

test('an invalid file exits 1 with one line per issue', async () => {
  const file = configFile(`gateway: { admin: off }
listners: []
listeners:
  - name: edge
    port: abc
    routes:
      - name: web
        bakend: app
`);
  const r = await runCli(['validate', file]);
  assert.equal(r.code, 1);
  assert.equal(r.stdout, '');
  const [header, ...lines] = r.stderr.trimEnd().split('\n');
  assert.equal(header, `${file}: invalid configuration`);
  assert.ok(lines.length > 0);
  for (const line of lines) assert.match(line, ISSUE_LINE);
  assert.deepEqual(lines, [
    'listners (line 2, column 1): unknown key "listners"; did you mean "listeners"?',
    'listeners[0].port (line 5, column 11): must be an integer',
    'listeners[0].routes[0] (line 7, column 9): missing required key "backend"',
    'listeners[0].routes[0].bakend (line 8, column 9): unknown key "bakend"; did you mean "backend"?',
  ]);
});

test('a missing variable names the variable, never a value', async () => {
  const secret = 'sk-cli-test-0123456789';
  const file = configFile('gateway:\n  admin: { port: 0, token: "${ADMIN_TOKEN}" }\nlisteners:\n  - { name: "${OTHER}", port: abc, routes: [] }\n');
  const r = await runCli(['validate', file], { env: { OTHER: secret } });
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^gateway\.admin\.token \(line 2, column 28\): environment variable ADMIN_TOKEN is not set/m);
  assert.ok(!r.stderr.includes(secret));
});
