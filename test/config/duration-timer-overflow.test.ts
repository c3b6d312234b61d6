// Regression: Node timers cannot hold more than 2^31-1 ms; a longer timeout used to be
// accepted and would silently have fired after 1 ms. It is now a config error.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { configError, issueAt, load } from './support.js';

const config = (t: string) => `gateway: { admin: off }\nlisteners:\n  - name: edge\n    port: 0\n    limits: { idleTimeout: ${t} }\n    routes: []\n`;

test('1000h is rejected at its position', () => {
  const issue = issueAt(configError(config('1000h')), 'listeners[0].limits.idleTimeout');
  assert.deepEqual([issue.line, issue.column], [5, 28]);
  assert.match(issue.message, /must be at most 2147483647 ms/);
});

test('durations convert to milliseconds', () => {
  assert.equal(load(config('1.5s')).listeners[0]!.limits.idleTimeoutMs, 1500);
  assert.equal(load(config('500')).listeners[0]!.limits.idleTimeoutMs, 500);
  assert.equal(load(config('2m')).listeners[0]!.limits.idleTimeoutMs, 120_000);
});
