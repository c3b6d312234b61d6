// Azure and Vertex model config: what each needs (azure: baseUrl, apiKey; vertex: Google
// credentials and a project), the defaults (api-version, deployment, location, base URL,
// publisher), the env fallbacks, keys that belong to another provider, and credentials
// files that cannot be used. Secrets from a credentials file never show in errors, the
// effective config or the backend key.
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { redactedConfig, type RuntimeConfig } from '../../src/config/index.js';
import { type LlmModelSpec } from '../../src/llm/spec.js';
import { readRuntimeConfig } from '../../src/gateway/config.js';
import { configError, errorOf, issueAt, load, tempDir, writeConfig, type Env } from './support.js';

const head = `gateway: { admin: off }
listeners:
  - { name: edge, port: 0, routes: [{ name: llm, match: { path: /v1 }, backend: models }] }
backends:
  models:
    llm:
      models:
`;
const AT = 'backends.models.llm.models[0]';

const PEM = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
const SECRET_LINE = PEM.split('\n')[1]!;

function model(rt: RuntimeConfig, i = 0): LlmModelSpec {
  const b = rt.backends.get('models')!;
  assert.ok(b.kind === 'llm');
  return b.models[i]!;
}

/** Writes a credentials file into a fresh folder; returns its absolute path. */
function credentialsFile(content: unknown, name = 'sa.json'): string {
  const file = join(tempDir(), name);
  writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
  return file;
}

const serviceAccount = (extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  type: 'service_account', project_id: 'file-project', private_key_id: 'kid1', private_key: PEM,
  client_email: 'gw@file-project.iam.gserviceaccount.com', token_uri: 'https://oauth2.googleapis.com/token', ...extra,
});

test('azure: deployment and api-version default; explicit ones kept; the key stays secret', () => {
  const rt = load(`${head}        - { name: a, provider: azure, model: gpt-4o, apiKey: azure-key-0123456789, baseUrl: "https://res.openai.azure.com" }
        - { name: b, provider: azure, deployment: my-dep, apiVersion: 2025-04-01-preview, apiKey: azure-key-0123456789, baseUrl: "https://res.openai.azure.com/" }
`);
  const a = model(rt);
  assert.deepEqual(a.azure, { deployment: 'gpt-4o', apiVersion: '2024-10-21' });
  assert.equal(a.origin, 'https://res.openai.azure.com');
  assert.equal(a.basePath, '');
  assert.deepEqual(model(rt, 1).azure, { deployment: 'my-dep', apiVersion: '2025-04-01-preview' });
  assert.ok(!JSON.stringify(redactedConfig(rt)).includes('azure-key-0123456789'));
});

test('azure: needs a baseUrl (the resource, not …/openai/…) and an apiKey', () => {
  assert.match(issueAt(configError(`${head}        - { name: a, provider: azure, apiKey: azure-key-0123456789 }
`), AT).message, /azure model needs a baseUrl/);
  assert.match(issueAt(configError(`${head}        - { name: a, provider: azure, baseUrl: "https://res.openai.azure.com" }
`), AT).message, /azure model needs an apiKey/);
  assert.match(issueAt(configError(`${head}        - { name: a, provider: azure, apiKey: k-0123456789, baseUrl: "https://res.openai.azure.com/openai/deployments/x" }
`), `${AT}.baseUrl`).message, /resource endpoint/);
  assert.match(issueAt(configError(`${head}        - { name: a, provider: azure, apiKey: k-0123456789, baseUrl: "https://res.openai.azure.com", apiVersion: latest }
`), `${AT}.apiVersion`).message, /api-version/);
});

test('deployment / apiVersion / project / location / credentials belong to their provider', () => {
  const err = configError(`${head}        - { name: a, provider: openai, apiKey: k-0123456789, deployment: d, apiVersion: 2024-10-21 }
        - { name: b, provider: azure, apiKey: k-0123456789, baseUrl: "https://res.openai.azure.com", project: my-project, location: us-east5, credentials: x.json }
`);
  assert.match(issueAt(err, `${AT}.deployment`).message, /only for azure models, not openai/);
  assert.match(issueAt(err, `${AT}.apiVersion`).message, /only for azure models/);
  const b = 'backends.models.llm.models[1]';
  assert.match(issueAt(err, `${b}.project`).message, /only for vertex models, not azure/);
  assert.match(issueAt(err, `${b}.location`).message, /only for vertex models/);
  assert.match(issueAt(err, `${b}.credentials`).message, /only for vertex models/);
});

test('vertex: a service-account file gives the project; defaults for location, base URL, publisher', () => {
  const file = credentialsFile(serviceAccount());
  const rt = load(`${head}        - { name: g, provider: vertex, model: gemini-2.0-flash, credentials: ${file} }
        - { name: c, provider: vertex, model: "claude-sonnet-4-5@20250929", credentials: ${file}, location: global, project: other-project }
`);
  const g = model(rt);
  assert.equal(g.origin, 'https://us-central1-aiplatform.googleapis.com');
  assert.equal(g.basePath, '');
  assert.equal(g.vertex?.project, 'file-project');
  assert.equal(g.vertex?.location, 'us-central1');
  assert.equal(g.vertex?.publisher, 'google');
  assert.equal(g.vertex?.credentials.type, 'service_account');
  assert.equal(g.apiKey, null);
  const c = model(rt, 1);
  assert.equal(c.origin, 'https://aiplatform.googleapis.com');
  assert.equal(c.vertex?.project, 'other-project');
  assert.equal(c.vertex?.publisher, 'anthropic');
  // The private key is a secret: redacted everywhere, and part of the reload key only hashed.
  assert.ok(rt.secrets.includes(PEM));
  assert.ok(!JSON.stringify(redactedConfig(rt)).includes(SECRET_LINE));
  assert.ok(!rt.backends.get('models')!.key.includes(SECRET_LINE));
  assert.ok(!JSON.stringify(g).includes(SECRET_LINE));
});

test('vertex: credentials relative to the config file', () => {
  const file = writeConfig(`${head}        - { name: g, provider: vertex, model: gemini-2.0-flash, credentials: ./keys/sa.json }
`);
  const dir = join(file, '..');
  mkdirSync(join(dir, 'keys'));
  writeFileSync(join(dir, 'keys', 'sa.json'), JSON.stringify(serviceAccount()));
  assert.equal(model(readRuntimeConfig(file, {})).vertex?.project, 'file-project');
});

test('vertex: env fallbacks (GOOGLE_APPLICATION_CREDENTIALS, GOOGLE_CLOUD_PROJECT, GOOGLE_CLOUD_LOCATION)', () => {
  const user = credentialsFile({ type: 'authorized_user', client_id: 'id.apps.googleusercontent.com', client_secret: 'client-secret-0123456789', refresh_token: '1//refresh-0123456789' }, 'adc.json');
  const env: Env = { GOOGLE_APPLICATION_CREDENTIALS: user, GOOGLE_CLOUD_PROJECT: 'env-project', GOOGLE_CLOUD_LOCATION: 'europe-west4' };
  const rt = load(`${head}        - { name: g, provider: vertex, model: gemini-2.0-flash }
`, env);
  const g = model(rt);
  assert.equal(g.vertex?.credentials.type, 'authorized_user');
  assert.equal(g.vertex?.credentials.tokenUri, 'https://oauth2.googleapis.com/token');
  assert.equal(g.vertex?.project, 'env-project');
  assert.equal(g.vertex?.location, 'europe-west4');
  assert.equal(g.origin, 'https://europe-west4-aiplatform.googleapis.com');
  assert.ok(rt.secrets.includes('client-secret-0123456789'));
  assert.ok(rt.secrets.includes('1//refresh-0123456789'));

  // An authorized_user file has no project: without GOOGLE_CLOUD_PROJECT that is an error.
  const err = configError(`${head}        - { name: g, provider: vertex, model: gemini-2.0-flash }
`, { GOOGLE_APPLICATION_CREDENTIALS: user });
  assert.match(issueAt(err, AT).message, /needs a project/);
});

test('vertex: without credentials, or with apiKey / passthrough, is an error', () => {
  assert.match(issueAt(configError(`${head}        - { name: g, provider: vertex, model: gemini-2.0-flash, project: my-project }
`), AT).message, /needs Google credentials/);
  const file = credentialsFile(serviceAccount());
  const err = configError(`${head}        - { name: g, provider: vertex, model: gemini-2.0-flash, credentials: ${file}, apiKey: AIza-some-key-0123, passthrough: true }
`);
  assert.match(issueAt(err, `${AT}.apiKey`).message, /does not use apiKey/);
  assert.match(issueAt(err, `${AT}.passthrough`).message, /passthrough is not available for vertex/);
  assert.match(issueAt(configError(`${head}        - { name: g, provider: vertex, model: models/gemini-2.0-flash, credentials: ${file} }
`), `${AT}.model`).message, /not a vertex model id/);
});

test('vertex: unusable credentials files are errors at the credentials key, never quoting the key', () => {
  const cases: [unknown, RegExp][] = [
    ['{ not json', /is not JSON/],
    ['[1, 2]', /is not a JSON object/],
    [{ type: 'external_account' }, /has type "external_account"/],
    [serviceAccount({ client_email: undefined }), /without client_email or private_key/],
    [serviceAccount({ private_key: `-----BEGIN PRIVATE KEY-----\n${SECRET_LINE}\n-----END PRIVATE KEY-----\n` }), /not a PEM private key/],
    [serviceAccount({ token_uri: 'file:///etc/passwd' }), /token_uri that is not an http\(s\) URL/],
    [{ type: 'authorized_user', client_id: 'x', client_secret: 'client-secret-0123456789' }, /without client_id, client_secret or refresh_token/],
  ];
  for (const [content, expected] of cases) {
    const file = credentialsFile(content);
    const err = configError(`${head}        - { name: g, provider: vertex, model: gemini-2.0-flash, project: my-project, credentials: ${file} }
`);
    assert.match(issueAt(err, `${AT}.credentials`).message, expected);
    assert.ok(!err.message.includes(SECRET_LINE), err.message);
    assert.ok(!err.message.includes('client-secret-0123456789'), err.message);
  }
  const missing = configError(`${head}        - { name: g, provider: vertex, model: gemini-2.0-flash, project: my-project, credentials: ./nope.json }
`);
  assert.match(issueAt(missing, `${AT}.credentials`).message, /cannot read the credentials file "\.\/nope\.json"/);
  const folder = errorOf(() => load(`${head}        - { name: g, provider: vertex, model: gemini-2.0-flash, project: my-project, credentials: ${tempDir()} }
`));
  assert.match(issueAt(folder, `${AT}.credentials`).message, /is a folder/);
  const fromEnv = configError(`${head}        - { name: g, provider: vertex, model: gemini-2.0-flash, project: my-project }
`, { GOOGLE_APPLICATION_CREDENTIALS: '/nonexistent/adc.json' });
  assert.match(issueAt(fromEnv, AT).message, /cannot read the credentials file GOOGLE_APPLICATION_CREDENTIALS/);
});
