// Cost in the access log, end to end with the OpenAI SDK: a price override gives the exact
// cost; a table-priced model (gpt-4o-mini, a Claude model) costs what @pydantic/genai-prices
// computes for the same tokens; an unknown model and an unpriced openai-compatible model log
// costUsd null (not 0); cached tokens (OpenAI prompt_tokens_details.cached_tokens, JSON and
// stream; Anthropic cache reads and writes, translated or through the Anthropic front) are
// logged and priced at the cache rate; the text
// format says cost=$… or cost=unknown.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { calcPrice } from '@pydantic/genai-prices';
import { accessLine } from '../http/support.js';
import { startGateway } from '../helpers/gateway.js';
import { BACKEND_KEY, llmConfig, startFakeOpenAI, type FakeOpenAI } from './support.js';
import { setupAnthropic } from './anthropic-support.js';
import { setupAnthropicPass } from './messages-support.js';

/** llmConfig's models (fast: gpt-4o-mini, local: openai-compatible) plus a priced one and an unknown one. */
function config(fake: FakeOpenAI, extra = ''): string {
  return llmConfig(fake, `        - name: priced
          provider: openai-compatible
          model: llama-3-70b
          baseUrl: ${fake.baseUrl}
          price: { input: 2, output: 8, cacheRead: 0.5 }
        - name: mystery
          provider: openai
          model: no-such-model-xyz
          apiKey: ${BACKEND_KEY}
          baseUrl: ${fake.baseUrl}
`) + extra;
}

async function start(t: { after(fn: () => Promise<void>): void }, extra = '') {
  const fake = await startFakeOpenAI();
  const gw = await startGateway(config(fake, extra));
  t.after(async () => { await gw.close(); await fake.close(); });
  const client = new OpenAI({ baseURL: `${gw.url()}/v1`, apiKey: 'sk-client', maxRetries: 0, timeout: 10_000 });
  return { fake, gw, client };
}

const tablePrice = (providerId: string, model: string, usage: Record<string, number>): number => calcPrice(usage, model, { providerId })!.total_price;

function assertUsd(actual: unknown, expected: number): void {
  assert.equal(typeof actual, 'number');
  assert.ok(Math.abs((actual as number) - expected) <= 1e-12, `${String(actual)} != ${expected}`);
}

/** A JSON answer whose usage has cached tokens. */
function cachedJson(fake: FakeOpenAI): void {
  fake.on('/v1/chat/completions', (req, res) => {
    const usage = { prompt_tokens: 2000, completion_tokens: 50, total_tokens: 2050, prompt_tokens_details: { cached_tokens: 1536, audio_tokens: 0 } };
    if (req.body.stream === true) {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      const chunk = (o: object) => `data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', created: 1, model: req.body.model, ...o })}\n\n`;
      res.write(chunk({ choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }], usage: null }));
      res.write(chunk({ choices: [{ index: 0, delta: { content: 'ok' }, finish_reason: 'stop' }], usage: null }));
      res.write(chunk({ choices: [], usage }));
      res.end('data: [DONE]\n\n');
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({
      id: 'c', object: 'chat.completion', created: 1, model: req.body.model,
      choices: [{ index: 0, message: { role: 'assistant', content: 'ok', refusal: null }, logprobs: null, finish_reason: 'stop' }], usage,
    }));
  });
}

test('a price override gives the exact cost', { timeout: 30_000 }, async (t) => {
  const { client, gw } = await start(t);
  await client.chat.completions.create({ model: 'priced', messages: [{ role: 'user', content: 'hi' }] }, { headers: { 'x-request-id': 'cost-override' } });
  const line = await accessLine(gw, 'cost-override');
  // The fake reports 11 input and 7 output tokens: 11 × $2/M + 7 × $8/M.
  assert.equal(line.llm.costUsd, 0.000078);
  assert.equal(line.llm.inputTokens, 11);
  assert.equal(line.llm.estimated, undefined);
});

test('gpt-4o-mini costs what the price table computes for its tokens', { timeout: 30_000 }, async (t) => {
  const { client, gw } = await start(t);
  await client.chat.completions.create({ model: 'fast', messages: [{ role: 'user', content: 'hi' }] }, { headers: { 'x-request-id': 'cost-table' } });
  const line = await accessLine(gw, 'cost-table');
  const expected = tablePrice('openai', 'gpt-4o-mini', { input_tokens: 11, output_tokens: 7 });
  assert.ok(expected > 0);
  assertUsd(line.llm.costUsd, expected);
  assert.equal(line.llm.target, 'fast');
  assert.equal(line.llm.attempts, 1);
});

test('an unknown model and an unpriced openai-compatible model log costUsd null, not 0', { timeout: 30_000 }, async (t) => {
  const { client, gw } = await start(t);
  for (const model of ['mystery', 'local']) {
    await client.chat.completions.create({ model, messages: [{ role: 'user', content: 'hi' }] }, { headers: { 'x-request-id': `cost-${model}` } });
    const line = await accessLine(gw, `cost-${model}`);
    assert.equal(line.llm.inputTokens, 11, model);
    assert.ok('costUsd' in line.llm, model);
    assert.equal(line.llm.costUsd, null, model);
  }
});

test('openai JSON: cached tokens are logged and priced at the cache rate', { timeout: 30_000 }, async (t) => {
  const { client, gw, fake } = await start(t);
  cachedJson(fake);
  for (const model of ['fast', 'priced']) {
    await client.chat.completions.create({ model, messages: [{ role: 'user', content: 'hi' }] }, { headers: { 'x-request-id': `cached-json-${model}` } });
  }
  const fast = (await accessLine(gw, 'cached-json-fast')).llm;
  assert.equal(fast.inputTokens, 2000);
  assert.equal(fast.cacheReadTokens, 1536);
  assert.equal(fast.cacheWriteTokens, null);
  assertUsd(fast.costUsd, tablePrice('openai', 'gpt-4o-mini', { input_tokens: 2000, cache_read_tokens: 1536, output_tokens: 50 }));
  const priced = (await accessLine(gw, 'cached-json-priced')).llm;
  assertUsd(priced.costUsd, (464 * 2 + 1536 * 0.5 + 50 * 8) / 1e6);
});

test('openai stream: cached tokens from the usage chunk are logged and priced', { timeout: 30_000 }, async (t) => {
  const { client, gw, fake } = await start(t);
  cachedJson(fake);
  // The client does not ask for usage: the gateway still reads it (and drops the chunk).
  const stream = await client.chat.completions.create({ model: 'fast', messages: [{ role: 'user', content: 'hi' }], stream: true }, { headers: { 'x-request-id': 'cached-stream' } });
  for await (const c of stream) assert.equal(c.usage ?? null, null);
  const line = (await accessLine(gw, 'cached-stream')).llm;
  assert.equal(line.inputTokens, 2000);
  assert.equal(line.outputTokens, 50);
  assert.equal(line.cacheReadTokens, 1536);
  assertUsd(line.costUsd, tablePrice('openai', 'gpt-4o-mini', { input_tokens: 2000, cache_read_tokens: 1536, output_tokens: 50 }));
});

test('anthropic: cache reads and writes are logged and priced at their rates', { timeout: 30_000 }, async (t) => {
  const { client, gw } = await setupAnthropic(t);
  await client.chat.completions.create({ model: 'claude', messages: [{ role: 'user', content: 'hi' }] }, { headers: { 'x-request-id': 'cost-claude' } });
  const line = (await accessLine(gw, 'cost-claude')).llm;
  // The fake: input 20, cache creation 3, cache read 5, output 9.
  assert.deepEqual(
    { inputTokens: line.inputTokens, outputTokens: line.outputTokens, cacheReadTokens: line.cacheReadTokens, cacheWriteTokens: line.cacheWriteTokens },
    { inputTokens: 28, outputTokens: 9, cacheReadTokens: 5, cacheWriteTokens: 3 },
  );
  const expected = tablePrice('anthropic', 'claude-sonnet-4-5', { input_tokens: 28, cache_read_tokens: 5, cache_write_tokens: 3, output_tokens: 9 });
  assert.ok(expected > 0);
  assertUsd(line.costUsd, expected);
});

test('anthropic front pass-through: cache reads logged and priced, JSON and stream', { timeout: 30_000 }, async (t) => {
  const { gw, client } = await setupAnthropicPass(t);
  await client.messages.create({ model: 'claude', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] }, { headers: { 'x-request-id': 'pass-cost-json' } });
  const json = (await accessLine(gw, 'pass-cost-json')).llm;
  // The fake: input 12, cache read 4, cache creation 0, output 6.
  assert.deepEqual([json.inputTokens, json.outputTokens, json.cacheReadTokens, json.cacheWriteTokens], [16, 6, 4, 0]);
  assertUsd(json.costUsd, tablePrice('anthropic', 'claude-sonnet-4-5', { input_tokens: 16, cache_read_tokens: 4, output_tokens: 6 }));
  const stream = await client.messages.create({ model: 'claude', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }], stream: true }, { headers: { 'x-request-id': 'pass-cost-stream' } });
  for await (const _ of stream) { /* drain */ }
  const sse = (await accessLine(gw, 'pass-cost-stream')).llm;
  // The streamed message_start reports no cache fields: zero, as Anthropic said.
  assert.deepEqual([sse.inputTokens, sse.outputTokens, sse.cacheReadTokens, sse.cacheWriteTokens], [12, 6, 0, 0]);
  assertUsd(sse.costUsd, tablePrice('anthropic', 'claude-sonnet-4-5', { input_tokens: 12, output_tokens: 6 }));
});

test('text access log: cost=$… when priced, cost=unknown when not', { timeout: 30_000 }, async (t) => {
  const fake = await startFakeOpenAI();
  const gw = await startGateway(config(fake).replace('gateway:\n', 'gateway:\n  accessLog: { format: text }\n'));
  t.after(async () => { await gw.close(); await fake.close(); });
  const client = new OpenAI({ baseURL: `${gw.url()}/v1`, apiKey: 'sk-client', maxRetries: 0, timeout: 10_000 });
  await client.chat.completions.create({ model: 'priced', messages: [{ role: 'user', content: 'hi' }] }, { headers: { 'x-request-id': 'text-priced' } });
  await client.chat.completions.create({ model: 'local', messages: [{ role: 'user', content: 'hi' }] }, { headers: { 'x-request-id': 'text-local' } });
  const lineOf = async (id: string): Promise<string> => {
    for (let i = 0; i < 100; i++) {
      const l = gw.logText().split('\n').find((s) => s.includes(`id=${id}`));
      if (l !== undefined) return l;
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error(`no access line for ${id}`);
  };
  assert.match(await lineOf('text-priced'), / model=priced tokens=11\/7 cost=\$0\.000078(\s|$)/);
  assert.match(await lineOf('text-local'), / model=local tokens=11\/7 cost=unknown(\s|$)/);
});
