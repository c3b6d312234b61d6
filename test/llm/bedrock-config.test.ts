// Bedrock config: region and credentials from the model or the env at load, each required;
// apiKey refused; the default baseUrl is the regional bedrock-runtime endpoint; secrets redacted.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, redactedConfig } from '../../src/config/index.js';
import { compileConfig, loadConfigText } from '../../src/gateway/config.js';

const yaml = (model: string) => `listeners:
  - name: edge
    port: 0
    routes: [{ name: llm, match: { path: /v1 }, backend: models }]
backends:
  models:
    llm:
      models:
        - ${model}
`;
const load = (model: string, env: Record<string, string> = {}) => compileConfig(loadConfigText(yaml(model), 'test.yaml', env));
const messageOf = (fn: () => unknown): string => {
  try { fn(); } catch (err) { assert.ok(err instanceof ConfigError); return err.message; }
  assert.fail('no config error');
};

test('bedrock config: defaults, env fallbacks and errors', () => {
  const rt = load('{ name: c, provider: bedrock, model: "anthropic.claude-3-5-sonnet-20240620-v1:0", region: us-west-2, aws: { accessKeyId: AKIDCONFIG, secretAccessKey: config-secret-0123456789 } }');
  const m = (rt.backends.get('models') as any).models[0];
  assert.equal(m.origin, 'https://bedrock-runtime.us-west-2.amazonaws.com');
  assert.equal(m.basePath, '');
  assert.equal(m.aws.region, 'us-west-2');
  assert.equal(m.aws.accessKeyId, 'AKIDCONFIG');
  assert.equal(m.aws.secretAccessKey.reveal(), 'config-secret-0123456789');
  assert.ok(rt.secrets.includes('config-secret-0123456789'));
  const shown = JSON.stringify(redactedConfig(rt));
  assert.ok(!shown.includes('config-secret-0123456789'));
  assert.ok(shown.includes('AKIDCONFIG'));

  const env = load('{ name: c, provider: bedrock }', { AWS_ACCESS_KEY_ID: 'AKIDENV', AWS_SECRET_ACCESS_KEY: 'env-secret-0123456789', AWS_REGION: 'ap-south-1', AWS_DEFAULT_REGION: 'us-east-1' });
  const e = (env.backends.get('models') as any).models[0];
  assert.equal(e.origin, 'https://bedrock-runtime.ap-south-1.amazonaws.com');
  assert.equal(e.aws.accessKeyId, 'AKIDENV');
  assert.equal(e.aws.sessionToken, null);
  assert.ok(env.secrets.includes('env-secret-0123456789'));

  assert.match(messageOf(() => load('{ name: c, provider: bedrock }', { AWS_ACCESS_KEY_ID: 'AKIDENV', AWS_SECRET_ACCESS_KEY: 'env-secret-0123456789' })), /needs a region/);
  assert.match(messageOf(() => load('{ name: c, provider: bedrock, region: us-east-1 }', { AWS_ACCESS_KEY_ID: 'AKIDENV' })), /needs AWS credentials/);
  assert.match(messageOf(() => load('{ name: c, provider: bedrock, region: us-east-1, apiKey: some-key-0123 }', { AWS_ACCESS_KEY_ID: 'AKIDENV', AWS_SECRET_ACCESS_KEY: 'env-secret-0123456789' })), /does not use apiKey/);
  assert.match(messageOf(() => load('{ name: c, provider: openai, apiKey: sk-x-0123, region: us-east-1 }')), /region is only for bedrock/);
  assert.match(messageOf(() => load('{ name: c, provider: bedrock, region: us-east-1, aws: { accessKeyId: AKID } }')), /secretAccessKey/);
  assert.match(messageOf(() => load('{ name: c, provider: bedrock, region: us-east-1, aws: { accessKeyId: AKID, secretAccessKey: s-0123456789, token: x } }')), /token/);
  const bad = messageOf(() => load('{ name: c, provider: bedrock, region: us-east-1, aws: { accessKeyId: AKID, secretAccessKey: very-secret-value-0123 }, apiKey: k-0123 }'));
  assert.ok(!bad.includes('very-secret-value-0123'));
});
