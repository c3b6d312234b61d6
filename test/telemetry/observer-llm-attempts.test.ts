// The request observer on an llm call: a subscriber registered on the gateway sees start,
// then one attempt per upstream call (a 503, retried once: two attempts), then the first
// byte and the end, in that order. The access log still counts the two attempts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startGateway } from '../helpers/gateway.js';
import { BACKEND_KEY, startFakeOpenAI } from '../llm/support.js';
import { accessLine } from '../http/support.js';
import { recordRequest } from './observer-support.js';

test('observer: llm call retried after a 503 reports start, two attempts, first byte, end', { timeout: 30_000 }, async (t) => {
  const fake = await startFakeOpenAI();
  let calls = 0;
  const answer503 = (res: import('node:http').ServerResponse) => {
    res.writeHead(503, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: { message: 'busy', type: 'server_error', param: null, code: null } }));
  };
  const ok = (res: import('node:http').ServerResponse) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ id: 'c', object: 'chat.completion', created: 1, model: 'gpt-4o-mini', choices: [{ index: 0, message: { role: 'assistant', content: 'hi' }, finish_reason: 'stop' }], usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 } }));
  };
  fake.on('/v1/chat/completions', (_req, res) => (calls++ === 0 ? answer503(res) : ok(res)));
  const rec = recordRequest('observed-llm');
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
        - name: fast
          provider: openai
          model: gpt-4o-mini
          apiKey: ${BACKEND_KEY}
          baseUrl: ${fake.baseUrl}
          retries: 1
          retryBackoff: 1ms
`, { observers: [rec.observer] });
  t.after(async () => { await gw.close(); await fake.close(); });

  const r = await fetch(`${gw.url()}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-request-id': 'observed-llm' },
    body: JSON.stringify({ model: 'fast', messages: [{ role: 'user', content: 'hi' }] }),
  });
  assert.equal(r.status, 200);
  await r.text();
  await rec.ended();
  assert.deepEqual(rec.events, [
    'start',
    'attemptStart 1 fast',
    'attemptEnd 1 503 -',
    'attemptStart 2 fast',
    'attemptEnd 2 200 -',
    'firstByte',
    'end 200',
  ]);
  assert.equal(calls, 2);
  // The built-in subscribers still see the call as before.
  const log = await accessLine(gw, 'observed-llm');
  assert.equal(log.llm.attempts, 2);
});
