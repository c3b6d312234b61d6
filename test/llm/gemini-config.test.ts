// Config for a gemini model: baseUrl defaults to https://generativelanguage.googleapis.com,
// an apiKey is required, the upstream model must be a Gemini model id, and a baseUrl with
// the API version in it is refused (the version is added).
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
const fails = (model: string, message: RegExp) => assert.throws(
  () => compileConfig(loadConfigText(yaml(model), 'test.yaml', {})),
  (e: unknown) => e instanceof ConfigError && message.test(e.message),
);

test('gemini model: default baseUrl, apiKey required, model id and baseUrl checked', () => {
  const rt = compileConfig(loadConfigText(yaml('{ name: gem, provider: gemini, model: gemini-2.0-flash, apiKey: AIza-test-key-0123 }'), 'test.yaml', {}));
  const b = rt.backends.get('models');
  assert.ok(b?.kind === 'llm');
  assert.equal(b.models[0]!.origin, 'https://generativelanguage.googleapis.com');
  assert.equal(b.models[0]!.basePath, '');
  assert.equal(b.models[0]!.upstreamModel, 'gemini-2.0-flash');
  compileConfig(loadConfigText(yaml('{ name: gemini-2.5-pro, provider: gemini, apiKey: k-0123456789 }'), 'test.yaml', {}));
  compileConfig(loadConfigText(yaml('{ name: g, provider: gemini, model: models/gemini-2.5-pro, apiKey: k-0123456789 }'), 'test.yaml', {}));
  fails('{ name: gem, provider: gemini, model: gemini-2.0-flash }', /gemini model needs an apiKey/);
  fails('{ name: "gem/x?y", provider: gemini, apiKey: k-0123456789 }', /not a gemini model id/);
  fails('{ name: gem, provider: gemini, model: gemini-2.0-flash, apiKey: k-0123456789, baseUrl: "https://generativelanguage.googleapis.com/v1beta" }', /gemini baseUrl is the API root/);
});
