// Regression (issue 10, item 1): a translated JSON answer of 128 KB or more never completed.
// undici reports an empty body chunk on every resume after a pause; the answer's chunk
// iterator paused on it and resumed for the next, forever, so the process spun at 100 %
// CPU, the event loop starved and memory grew until it aborted. Every translated JSON path
// (each front × each provider it translates to) gets answers written in 64 KB pieces, at
// 128 KB and 2 MB, whole; past the backend's limits.maxResponseBytes the client gets a 502
// in its own shape and the upstream call is aborted. The gateway runs in its own process,
// so a stalled event loop fails the test (at its timeout) instead of stalling it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import Anthropic from '@anthropic-ai/sdk';
import { gatewayYaml, jsonAround, MODEL_OF, spawnYamlGateway, startProviderFake, type Provider } from './provider-fakes.js';

const PIECE = 64 * 1024;

type Front = 'chat' | 'messages' | 'responses';

/** Each front with the providers it reaches through a translation. */
const PATHS: [Front, Provider][] = [
  ['chat', 'anthropic'], ['chat', 'gemini'], ['chat', 'bedrock'],
  ['messages', 'openai'], ['messages', 'gemini'], ['messages', 'bedrock'],
  ['responses', 'anthropic'], ['responses', 'gemini'], ['responses', 'bedrock'],
];

/** Asks through the front's own SDK; returns the answer's text. */
async function ask(front: Front, base: string, model: string): Promise<string> {
  if (front === 'messages') {
    const client = new Anthropic({ baseURL: base, apiKey: 'sk-client', maxRetries: 0 });
    const msg = await client.messages.create({ model, max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] });
    return msg.content.map((b) => (b.type === 'text' ? b.text : '')).join('');
  }
  const client = new OpenAI({ baseURL: `${base}/v1`, apiKey: 'sk-client', maxRetries: 0 });
  if (front === 'responses') return (await client.responses.create({ model, input: 'hi' })).output_text;
  return (await client.chat.completions.create({ model, messages: [{ role: 'user', content: 'hi' }] })).choices[0]!.message.content ?? '';
}

test('translated JSON answers of 128 KB and 2 MB, written in 64 KB pieces, arrive whole on every translated path', { timeout: 120_000 }, async (t) => {
  const fake = await startProviderFake();
  const gw = await spawnYamlGateway(gatewayYaml(fake));
  t.after(async () => { await gw.stop(); await fake.close(); });
  for (const size of [2 * PIECE, 2 * 1024 * 1024]) {
    const text = 'abcdefgh'.repeat(size / 8);
    fake.on((call, res) => {
      const { head, tail } = jsonAround(call.provider);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write(head);
      for (let at = 0; at < text.length; at += PIECE) res.write(text.slice(at, at + PIECE));
      res.end(tail);
    });
    for (const [front, provider] of PATHS) {
      const got = await ask(front, gw.url, MODEL_OF[provider]);
      assert.equal(got.length, text.length, `${front} → ${provider}, ${size} bytes`);
      assert.ok(got === text, `${front} → ${provider}: the text arrived changed`);
    }
  }
  // The gateway still answers other requests.
  assert.equal((await fetch(`${gw.adminUrl!}/healthz`)).status, 200);
});

test('past limits.maxResponseBytes: a 502 in the front\'s shape, and the upstream call is aborted', { timeout: 60_000 }, async (t) => {
  const fake = await startProviderFake();
  const gw = await spawnYamlGateway(gatewayYaml(fake, { backend: '      limits: { maxResponseBytes: 64kb }\n' }));
  t.after(async () => { await gw.stop(); await fake.close(); });
  // 128 KB of an answer that never ends: only the cap can end the call.
  fake.on((call, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.write(jsonAround(call.provider).head);
    res.write('x'.repeat(2 * PIECE));
  });
  for (const [front, provider] of [['chat', 'anthropic'], ['messages', 'openai'], ['responses', 'gemini']] as [Front, Provider][]) {
    const before = fake.calls.length;
    const err = await ask(front, gw.url, MODEL_OF[provider]).then(() => null, (e: unknown) => e);
    assert.ok(err instanceof (front === 'messages' ? Anthropic.APIError : OpenAI.APIError), `${front}: ${String(err)}`);
    const e = err as { status: number; error: any };
    assert.equal(e.status, 502);
    if (front === 'messages') assert.equal(e.error.error.type, 'api_error');
    else assert.equal(e.error.code, 'AE_UPSTREAM_PROTOCOL');
    await fake.calls[before]!.aborted;
  }
});
