// The call gate reports its decision to the request observer like any filter: a model the
// llm.* rules refuse is a refused decision of the llm phase (and nothing goes upstream); an
// allowed one is a passed decision before the attempt.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { startGateway } from '../helpers/gateway.js';
import { BACKEND_KEY, startFakeOpenAI } from '../llm/support.js';
import { recordRequest } from './observer-support.js';

test('observer: the call gate\'s refusal and pass are decisions of the llm phase', { timeout: 30_000 }, async (t) => {
  const fake = await startFakeOpenAI();
  const refused = recordRequest('gate-refused');
  const passed = recordRequest('gate-passed');
  const gw = await startGateway(`gateway:
  admin: { host: 127.0.0.1, port: 0 }
listeners:
  - name: edge
    port: 0
    routes:
      - { name: llm, match: { path: /v1 }, backend: models, policies: [models-allowed] }
policies:
  models-allowed:
    authorize: { deny: ['llm.model == "blocked"'] }
backends:
  models:
    llm:
      models:
        - { name: fast, provider: openai, model: gpt-4o-mini, apiKey: ${BACKEND_KEY}, baseUrl: ${fake.baseUrl} }
        - { name: blocked, provider: openai, model: gpt-4o, apiKey: ${BACKEND_KEY}, baseUrl: ${fake.baseUrl} }
`, { observers: [refused.observer, passed.observer] });
  t.after(async () => { await gw.close(); await fake.close(); });
  const client = new OpenAI({ apiKey: 'unused', baseURL: `${gw.url()}/v1`, maxRetries: 0 });

  await assert.rejects(
    client.chat.completions.create({ model: 'blocked', messages: [{ role: 'user', content: 'hi' }] }, { headers: { 'x-request-id': 'gate-refused' } }),
    (e: unknown) => e instanceof OpenAI.APIError && e.status === 403,
  );
  await refused.ended();
  assert.deepEqual(refused.events, ['start', 'decision llm gate refused AE_FORBIDDEN', 'firstByte', 'end 403']);

  await client.chat.completions.create({ model: 'fast', messages: [{ role: 'user', content: 'hi' }] }, { headers: { 'x-request-id': 'gate-passed' } });
  await passed.ended();
  assert.deepEqual(passed.events.slice(0, 3), ['start', 'decision llm gate passed', 'attemptStart 1 fast']);
});
