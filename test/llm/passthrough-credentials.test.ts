// `passthrough: true`: the caller brings its provider key; the client's own credential
// header goes upstream as it came, in place of the model's. Without it (the default) the
// client's credentials never leave the gateway.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { startGateway } from '../helpers/gateway.js';
import { BACKEND_KEY, startFakeOpenAI } from './support.js';

test('passthrough: the client\'s Authorization reaches the upstream; the model\'s key is used only without one', { timeout: 30_000 }, async (t) => {
  const fake = await startFakeOpenAI();
  const gw = await startGateway(`gateway:
  admin: { host: 127.0.0.1, port: 0 }
listeners:
  - name: edge
    port: 0
    routes:
      - { name: llm, match: { path: /v1 }, backend: models }
backends:
  models:
    llm:
      models:
        - name: byok
          provider: openai
          passthrough: true
          apiKey: ${BACKEND_KEY}
          baseUrl: ${fake.baseUrl}
        - name: managed
          provider: openai
          apiKey: ${BACKEND_KEY}
          baseUrl: ${fake.baseUrl}
        - name: keyless
          provider: openai
          passthrough: true
          baseUrl: ${fake.baseUrl}
`);
  t.after(async () => { await gw.close(); await fake.close(); });
  const client = new OpenAI({ baseURL: `${gw.url()}/v1`, apiKey: 'sk-callers-own-key-123456', maxRetries: 0 });
  await client.chat.completions.create({ model: 'byok', messages: [{ role: 'user', content: 'hi' }] });
  assert.equal(fake.received[0]!.headers.authorization, 'Bearer sk-callers-own-key-123456');
  await client.chat.completions.create({ model: 'managed', messages: [{ role: 'user', content: 'hi' }] });
  assert.equal(fake.received[1]!.headers.authorization, `Bearer ${BACKEND_KEY}`);
  await client.chat.completions.create({ model: 'keyless', messages: [{ role: 'user', content: 'hi' }] });
  assert.equal(fake.received[2]!.headers.authorization, 'Bearer sk-callers-own-key-123456');
  // No client credential: the model's key, when it has one.
  const r = await fetch(`${gw.url()}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'byok', messages: [{ role: 'user', content: 'hi' }] }) });
  assert.equal(r.status, 200);
  assert.equal(fake.received[3]!.headers.authorization, `Bearer ${BACKEND_KEY}`);
});

test('config: passthrough is refused for signed providers; a keyless openai model needs it', async () => {
  const { compileConfig, loadConfigText } = await import('../../src/gateway/config.js');
  const base = (model: string) => `listeners: [{ name: e, port: 0, routes: [{ name: r, match: { path: /v1 }, backend: m }] }]
backends:
  m:
    llm:
      models:
${model}`;
  const errors = (yaml: string): string => {
    try { compileConfig(loadConfigText(yaml, '/tmp/c.yaml', { AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE', AWS_SECRET_ACCESS_KEY: 'secret-example-123' })); return ''; } catch (e) { return String(e); }
  };
  assert.match(errors(base('        - { name: b, provider: bedrock, passthrough: true }\n')), /passthrough is not available for bedrock/);
  assert.match(errors(base('        - { name: o, provider: openai }\n')), /needs an apiKey .*or passthrough: true/);
  assert.equal(errors(base('        - { name: o, provider: openai, passthrough: true }\n')), '');
});
