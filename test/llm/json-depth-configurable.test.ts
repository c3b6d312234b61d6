// limits.maxJsonDepth is the operator's: a listener's value applies to its routes, a route's
// own replaces it (higher or lower), and the 400 names the bound that refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { startGateway } from '../helpers/gateway.js';
import { MARKER, nested, swapping } from './deep-json.js';
import { llmConfig, startFakeOpenAI } from './support.js';

test('a listener limit and a route override each bound their routes', { timeout: 60_000 }, async (t) => {
  const fake = await startFakeOpenAI();
  const base = llmConfig(fake).replace(
    '      - { name: llm, match: { path: /v1 }, backend: models }',
    `      - { name: deep, match: { path: /deep/v1 }, backend: models, limits: { maxJsonDepth: 600 } }
      - { name: llm, match: { path: /v1 }, backend: models }`,
  ).replace('    port: 0\n', '    port: 0\n    limits: { maxJsonDepth: 16 }\n');
  const gw = await startGateway(base);
  t.after(async () => { await gw.close(); await fake.close(); });
  // Body depth = 1 + the marker's nesting.
  const call = (prefix: string, depth: number) => new OpenAI({ baseURL: `${gw.url()}${prefix}`, apiKey: 'sk-client', maxRetries: 0, timeout: 30_000, fetch: swapping(nested(depth - 1)) })
    .chat.completions.create({ model: 'fast', messages: [{ role: 'user', content: 'hi' }], x: MARKER } as never)
    .then(() => null, (e: unknown) => e);

  assert.equal(await call('/v1', 16), null, 'at the listener bound');
  const low = await call('/v1', 17);
  assert.ok(low instanceof OpenAI.BadRequestError, String(low));
  assert.match(low.message, /deeper than 16 levels/);

  assert.equal(await call('/deep/v1', 600), null, 'the route raised it past the default');
  const high = await call('/deep/v1', 601);
  assert.ok(high instanceof OpenAI.BadRequestError, String(high));
  assert.match(high.message, /deeper than 600 levels/);
  assert.equal(fake.received.length, 2);
});
