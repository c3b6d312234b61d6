// CEL is compiled at load and evaluated per request (STYLE 7): the expressions config
// validation compiled are the programs the runtime evaluates, not compiled a second time.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pino } from 'pino';
import { compileConfig, loadConfigText } from '../../src/gateway/config.js';
import { celCompileCount, compileCel } from '../../src/policy/cel.js';
import { PolicySet } from '../../src/policy/runtime.js';
import type { StateStore } from '../../src/state/index.js';

const RULE = 'request.path.startsWith("/v1/compiled-once")';
const KEY = 'apiKey.metadata.team + "-compiled-once"';

const YAML = `gateway: { admin: off, state: { sqlite: ":memory:" } }
listeners:
  - name: edge
    port: 0
    routes:
      - { name: app, backend: app, policies: [rules, limit, spend] }
backends:
  app:
    http: { url: "http://127.0.0.1:9" }
policies:
  rules:
    authorize: { allow: ['${RULE}'] }
  limit:
    rateLimit: { key: '${KEY}', requests: 10/minute }
  spend:
    budget: { key: '${KEY}', usd: 5, period: day }
`;

test('the runtime evaluates the programs config validation compiled', () => {
  const before = celCompileCount();
  const config = compileConfig(loadConfigText(YAML, '/tmp/compiled-once.yaml', {}));
  const atLoad = celCompileCount() - before;
  assert.equal(atLoad, 2, 'validation compiles each distinct expression once');

  const logger = pino({ level: 'silent' });
  // Nothing is counted or charged here: building the policies must not touch the store.
  const policies = new PolicySet(config, { state: {} as StateStore, logger });
  try {
    assert.equal(celCompileCount() - before, atLoad, 'building the runtime compiles nothing again');
    assert.equal(compileCel(RULE), compileCel(RULE), 'one program per source');
  } finally {
    policies.close();
  }
});

test('an expression that does not compile is not kept: its error is the same each time', () => {
  const bad = 'request.path.startsWith(';
  const first = (() => { try { compileCel(bad); } catch (err) { return (err as Error).message; } return null; })();
  const second = (() => { try { compileCel(bad); } catch (err) { return (err as Error).message; } return null; })();
  assert.ok(first !== null);
  assert.equal(second, first);
});
