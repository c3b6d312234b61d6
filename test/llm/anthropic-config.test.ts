// Config for an anthropic model: baseUrl defaults to the Anthropic SDK's
// https://api.anthropic.com, and an apiKey is required.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError } from '../../src/config/index.js';
import { compileConfig, loadConfigText } from '../../src/gateway/config.js';

const yaml = (model: string) => `listeners:
  - { name: edge, port: 0, routes: [{ name: llm, match: { path: /v1 }, backend: models }] }
backends:
  models:
    llm: { models: [${model}] }
`;

test('anthropic model: default baseUrl, apiKey required', () => {
  const rt = compileConfig(loadConfigText(yaml('{ name: claude, provider: anthropic, apiKey: sk-ant-test-key-0123 }'), 'test.yaml', {}));
  const b = rt.backends.get('models');
  assert.ok(b?.kind === 'llm');
  assert.equal(b.models[0]!.origin, 'https://api.anthropic.com');
  assert.equal(b.models[0]!.basePath, '');
  assert.throws(
    () => compileConfig(loadConfigText(yaml('{ name: claude, provider: anthropic }'), 'test.yaml', {})),
    (e: unknown) => e instanceof ConfigError && /anthropic model needs an apiKey/.test(e.message),
  );
});
