// An upstream is untrusted too: an answer the gateway parses to translate, nested 100,000
// deep, is a clean 502 AE_UPSTREAM_PROTOCOL in the client's shape (JSON answers), or one
// error event (streams), never a 500 from a stack overflow. Upstream JSON is bounded at
// 1,024 levels, the most any route may allow its clients.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { setupAnthropic } from './anthropic-support.js';
import { nested } from './deep-json.js';
import { setupGemini } from './gemini-support.js';
import { setupMessages } from './messages-support.js';

const DEEP = nested(100_000);
const PUBLIC_MESSAGE = 'The upstream service sent an invalid response.';

function noInternalError(logs: Record<string, any>[]): void {
  assert.equal(logs.filter((l) => l.msg === 'internal error').length, 0, 'no 500 AE_INTERNAL');
}

async function badGatewayFromOpenAI(call: Promise<unknown>): Promise<void> {
  const err = await call.then(() => null, (e: unknown) => e);
  assert.ok(err instanceof OpenAI.APIError, String(err));
  assert.equal(err.status, 502);
  assert.equal(err.code, 'AE_UPSTREAM_PROTOCOL');
  assert.equal(err.message, `502 ${PUBLIC_MESSAGE}`);
}

test('anthropic answer nested 100,000 deep → 502 on chat/completions and on responses', { timeout: 60_000 }, async (t) => {
  const { fake, gw, client } = await setupAnthropic(t);
  fake.on((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(`{"id":"msg_1","type":"message","role":"assistant","model":"claude-sonnet-4-5","content":[{"type":"tool_use","id":"toolu_1","name":"f","input":{"a":${DEEP}}}],"stop_reason":"tool_use","stop_sequence":null,"usage":{"input_tokens":1,"output_tokens":1}}`);
  });
  await badGatewayFromOpenAI(client.chat.completions.create({ model: 'claude', messages: [{ role: 'user', content: 'hi' }] }));
  await badGatewayFromOpenAI(client.responses.create({ model: 'claude', input: 'hi' }));
  noInternalError(gw.logs);
});

test('an OpenAI chat answer whose tool arguments nest 100,000 deep → 502 on messages (Anthropic shape)', { timeout: 60_000 }, async (t) => {
  const { fake, gw, client } = await setupMessages(t);
  fake.on('/v1/chat/completions', (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({
      id: 'chatcmpl-1', object: 'chat.completion', created: 1, model: 'gpt-4o-mini',
      choices: [{ index: 0, message: { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'f', arguments: `{"a":${DEEP}}` } }] }, finish_reason: 'tool_calls' }],
      usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
    }));
  });
  const err = await client.messages.create({ model: 'fast', max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] }).then(() => null, (e: unknown) => e);
  assert.ok(err instanceof Anthropic.APIError, String(err));
  assert.equal(err.status, 502);
  const body = err.error as { type: string; error: { type: string; message: string } };
  assert.equal(body.type, 'error');
  assert.equal(body.error.message, PUBLIC_MESSAGE);
  noInternalError(gw.logs);
});

test('a gemini stream event nested 100,000 deep ends the stream with one AE_UPSTREAM_PROTOCOL error event', { timeout: 60_000 }, async (t) => {
  const { fake, gw, client } = await setupGemini(t);
  fake.on((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.write(`data: ${JSON.stringify({ candidates: [{ content: { role: 'model', parts: [{ text: 'Hello' }] } }] })}\n\n`);
    res.end(`data: {"candidates":[{"content":{"role":"model","parts":[{"functionCall":{"name":"f","args":{"a":${DEEP}}}}]},"finishReason":"STOP"}]}\n\n`);
  });
  const stream = await client.chat.completions.create({ model: 'gem', messages: [{ role: 'user', content: 'hi' }], stream: true });
  let text = '';
  const err = await (async () => {
    for await (const c of stream) text += c.choices[0]?.delta.content ?? '';
  })().then(() => null, (e: unknown) => e);
  assert.equal(text, 'Hello');
  assert.ok(err instanceof OpenAI.APIError, String(err));
  assert.equal(err.message, PUBLIC_MESSAGE);
  assert.equal(err.code, 'AE_UPSTREAM_PROTOCOL');
  noInternalError(gw.logs);
});
