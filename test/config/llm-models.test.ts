// Model names are unique within an llm backend; openai-compatible needs a baseUrl; an
// llm backend compiles with the openai default base URL and its key kept secret.
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
`;

test('a model name used twice in one llm backend is reported on the second', () => {
  const err = configError(`${head}        - { name: m, provider: openai, apiKey: sk-aaaaaaaa }
        - { name: m, provider: openai-compatible, baseUrl: "http://127.0.0.1:9/v1" }
`);
  const issue = issueAt(err, 'backends.models.llm.models[1].name');
  assert.match(issue.message, /duplicate model name "m" \(also models\[0\]\)/);
});

test('openai-compatible without baseUrl is an error', () => {
  const err = configError(`${head}        - { name: m, provider: openai-compatible }
`);
  assert.match(issueAt(err, 'backends.models.llm.models[0]').message, /needs a baseUrl/);
});

test('an openai model defaults to the OpenAI base URL and keeps its key secret', () => {
  const rt = load(`${head}        - { name: m, provider: openai, apiKey: sk-secret-value-123 }
`);
  const b = rt.backends.get('models')!;
  assert.ok(b.kind === 'llm');
  const m = b.models[0]!;
  assert.equal(m.origin, 'https://api.openai.com');
  assert.equal(m.basePath, '/v1');
  assert.equal(String(m.apiKey), '[redacted]');
  assert.ok(!b.key.includes('sk-secret-value-123'));
  assert.ok(rt.secrets.includes('sk-secret-value-123'));
});

test('the effective config shows the model key redacted', () => {
  const rt = load(`${head}        - { name: m, provider: openai, apiKey: sk-secret-value-123 }
`);
  const text = JSON.stringify(redactedConfig(rt));
  assert.ok(!text.includes('sk-secret-value-123'));
  assert.match(text, /"apiKey":"\[redacted\]"/);
});
