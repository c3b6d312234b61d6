// Virtual models (failover / loadBalance) point at concrete models of the same backend;
// every mistake is reported at its path.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { redactedConfig } from '../../src/config/index.js';
import { configError, issueAt, load } from './support.js';

const head = `gateway: { admin: off }
listeners:
  - { name: edge, port: 0, routes: [{ name: llm, match: { path: /v1 }, backend: models }] }
backends:
  models:
    llm:
      models:
        - { name: a, provider: openai, apiKey: sk-aaaaaaaa }
        - { name: b, provider: openai, apiKey: sk-bbbbbbbb }
`;

test('a failover model compiles to its targets in order; cool-down defaults apply', () => {
  const rt = load(`${head}        - { name: smart, failover: [b, a] }
        - { name: spread, loadBalance: [{ model: a, weight: 3 }, { model: b }] }
`);
  const be = rt.backends.get('models')!;
  assert.ok(be.kind === 'llm');
  assert.deepEqual(be.virtualModels, [
    { name: 'smart', strategy: 'failover', targets: [{ model: 'b', weight: 1 }, { model: 'a', weight: 1 }] },
    { name: 'spread', strategy: 'loadBalance', targets: [{ model: 'a', weight: 3 }, { model: 'b', weight: 1 }] },
  ]);
  assert.deepEqual(be.cooldown, { failures: 3, durationMs: 30_000 });
  assert.deepEqual(be.models.map((m) => m.name), ['a', 'b']);
});

test('an unknown target is named, with a suggestion', () => {
  const err = configError(`${head}        - { name: smart, failover: [a, bb] }
`);
  assert.match(issueAt(err, 'backends.models.llm.models[2].failover[1]').message, /unknown model "bb"; did you mean "b"\?/);
});

test('a target that is itself virtual is refused', () => {
  const err = configError(`${head}        - { name: v1, failover: [a] }
        - { name: v2, loadBalance: [{ model: v1 }] }
`);
  assert.match(issueAt(err, 'backends.models.llm.models[3].loadBalance[0].model').message, /itself a virtual model/);
});

test('a model with neither provider nor targets, or with both, is an error', () => {
  assert.match(issueAt(configError(`${head}        - { name: x }
`), 'backends.models.llm.models[2]').message, /needs a provider .* or failover/);
  assert.match(issueAt(configError(`${head}        - { name: x, provider: openai, apiKey: sk-xxxxxxxx, failover: [a] }
`), 'backends.models.llm.models[2].failover').message, /either a provider or failover/);
  assert.match(issueAt(configError(`${head}        - { name: x, failover: [a], loadBalance: [{ model: b }] }
`), 'backends.models.llm.models[2].loadBalance').message, /not both/);
});

test('provider keys on a virtual model are refused; duplicate targets and all-zero weights too', () => {
  assert.match(issueAt(configError(`${head}        - { name: x, failover: [a], apiKey: sk-xxxxxxxx }
`), 'backends.models.llm.models[2].apiKey').message, /belongs on the concrete models/);
  assert.match(issueAt(configError(`${head}        - { name: x, failover: [a, b, a] }
`), 'backends.models.llm.models[2].failover').message, /duplicate|unique/i);
  assert.match(issueAt(configError(`${head}        - { name: x, loadBalance: [{ model: a, weight: 0 }] }
`), 'backends.models.llm.models[2].loadBalance').message, /weight above 0/);
});

test('model header values are secret and may not hold line breaks', () => {
  const rt = load(`${head.replace('apiKey: sk-aaaaaaaa }', 'apiKey: sk-aaaaaaaa, headers: { x-org-token: org-secret-value-1 } }')}`);
  assert.ok(!JSON.stringify(redactedConfig(rt)).includes('org-secret-value-1'));
  assert.ok(rt.secrets.includes('org-secret-value-1'));
  const err = configError(head.replace('apiKey: sk-aaaaaaaa }', 'apiKey: sk-aaaaaaaa, headers: { x-a: "v\\r\\nx-b: injected" } }'));
  assert.match(issueAt(err, 'backends.models.llm.models[0].headers.x-a').message, /without line breaks/);
});
