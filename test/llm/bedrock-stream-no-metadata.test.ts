// A ConverseStream that ends after messageStop without the metadata event still finished its
// answer: the client gets the finish chunk and `[DONE]` (no error event), the usage is
// unknown (null in the access log, no usage chunk), and the call is not counted as aborted.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import Anthropic from '@anthropic-ai/sdk';
import { accessLine } from '../http/support.js';
import { CLIENT_KEY, eventFrame, setupBedrock, writeSplit } from './bedrock-support.js';

const frames = [
  eventFrame('messageStart', { role: 'assistant' }),
  eventFrame('contentBlockDelta', { contentBlockIndex: 0, delta: { text: 'Hello' } }),
  eventFrame('contentBlockStop', { contentBlockIndex: 0 }),
  eventFrame('messageStop', { stopReason: 'end_turn' }),
];

test('bedrock: a stream ending after messageStop without metadata ends normally, usage unknown', { timeout: 30_000 }, async (t) => {
  const { fake, gw, client } = await setupBedrock(t);
  fake.on((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/vnd.amazon.eventstream' });
    writeSplit(res, frames);
    res.end();
  });

  const stream = await client.chat.completions.create(
    { model: 'claude', messages: [{ role: 'user', content: 'hi' }], stream: true, stream_options: { include_usage: true } },
    { headers: { 'x-request-id': 'bedrock-no-metadata' } },
  );
  let text = '';
  let finish: string | null = null;
  let usageChunks = 0;
  for await (const c of stream) {
    text += c.choices[0]?.delta?.content ?? '';
    finish = c.choices[0]?.finish_reason ?? finish;
    if (c.usage) usageChunks++;
  }
  assert.equal(text, 'Hello');
  assert.equal(finish, 'stop');
  assert.equal(usageChunks, 0, 'no made-up usage chunk');
  const line = await accessLine(gw, 'bedrock-no-metadata');
  assert.equal(line.status, 200);
  assert.equal(line.error, undefined);
  assert.equal(line.llm.inputTokens, null);
  assert.equal(line.llm.outputTokens, null);

  // On the wire: no error event, and [DONE] last.
  const raw = await fetch(`${gw.url()}/v1/chat/completions`, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'claude', messages: [{ role: 'user', content: 'hi' }], stream: true }),
  });
  const events = (await raw.text()).split('\n\n').filter((e) => e !== '');
  assert.ok(!events.some((e) => e.includes('"error"')), events.join('|'));
  assert.equal(events.at(-1), 'data: [DONE]');

  // The Anthropic front (via chat) ends its message normally too.
  const anthropic = new Anthropic({ baseURL: gw.url(), apiKey: CLIENT_KEY, maxRetries: 0, timeout: 10_000 });
  const message = await anthropic.messages.stream({ model: 'claude', max_tokens: 50, messages: [{ role: 'user', content: 'hi' }] }).finalMessage();
  assert.equal(message.stop_reason, 'end_turn');
  assert.deepEqual(message.content.map((b) => (b.type === 'text' ? b.text : b.type)), ['Hello']);
});

test('bedrock: a stream cut before messageStop is still an aborted stream', { timeout: 30_000 }, async (t) => {
  const { fake, gw } = await setupBedrock(t);
  fake.on((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/vnd.amazon.eventstream' });
    writeSplit(res, frames.slice(0, 2));
    res.end();
  });
  const raw = await fetch(`${gw.url()}/v1/chat/completions`, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'claude', messages: [{ role: 'user', content: 'hi' }], stream: true }),
  });
  const events = (await raw.text()).split('\n\n').filter((e) => e !== '');
  assert.equal(JSON.parse(events.at(-1)!.slice('data: '.length)).error.code, 'AE_UPSTREAM_STREAM_ABORTED');
  assert.ok(!events.includes('data: [DONE]'));
});
