// The Anthropic SDK reaches gemini and bedrock models too: Messages → OpenAI chat (the
// pivot) → the provider's format, and the answer back, streams included.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import Anthropic from '@anthropic-ai/sdk';
import { accessLine } from '../http/support.js';
import { startGateway } from '../helpers/gateway.js';
import { bedrockYaml, startFakeBedrock } from './bedrock-support.js';
import { GEMINI_KEY, startFakeGemini } from './gemini-support.js';

const WEATHER = {
  name: 'get_weather', description: 'Weather for a city',
  input_schema: { type: 'object' as const, properties: { city: { type: 'string' } }, required: ['city'] },
};

async function geminiGateway(t: { after(fn: () => Promise<void>): void }) {
  const fake = await startFakeGemini();
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
        - name: gem
          provider: gemini
          model: gemini-2.0-flash
          apiKey: ${GEMINI_KEY}
          baseUrl: ${fake.url}
`);
  t.after(async () => { await gw.close(); await fake.close(); });
  return { fake, gw, client: new Anthropic({ baseURL: gw.url(), apiKey: 'sk-ant-client', maxRetries: 0, timeout: 10_000 }) };
}

test('Anthropic SDK → gemini model (JSON): text, usage, the key only in x-goog-api-key', { timeout: 30_000 }, async (t) => {
  const { fake, gw, client } = await geminiGateway(t);
  const msg = await client.messages.create({ model: 'gem', max_tokens: 50, system: 'Be brief.', messages: [{ role: 'user', content: 'hi' }] }, { headers: { 'x-request-id': 'm-gem-1' } });
  assert.equal(msg.model, 'gem');
  assert.deepEqual(msg.content, [{ type: 'text', text: 'Hello world' }]);
  assert.equal(msg.stop_reason, 'end_turn');
  const up = fake.received[0]!;
  assert.match(up.url, /^\/v1beta\/models\/gemini-2\.0-flash:generateContent$/);
  assert.equal(up.headers['x-goog-api-key'], GEMINI_KEY);
  assert.equal(up.headers['x-api-key'], undefined);
  assert.equal(up.headers['anthropic-version'], undefined);
  assert.deepEqual(up.body.systemInstruction, { parts: [{ text: 'Be brief.' }] });
  assert.equal(up.body.generationConfig.maxOutputTokens, 50);
  const log = await accessLine(gw, 'm-gem-1');
  assert.equal(log.llm.provider, 'gemini');
  assert.equal(log.llm.inputTokens, 28);
  assert.equal(log.llm.outputTokens, 9);
});

test('Anthropic SDK → gemini model (stream, tool call)', { timeout: 30_000 }, async (t) => {
  const { client } = await geminiGateway(t);
  const stream = client.messages.stream({ model: 'gem', max_tokens: 50, tools: [WEATHER], messages: [{ role: 'user', content: 'weather in Paris?' }] });
  const types: string[] = [];
  stream.on('streamEvent', (e) => types.push(e.type));
  const msg = await stream.finalMessage();
  assert.equal(types[0], 'message_start');
  assert.equal(types.at(-1), 'message_stop');
  assert.equal(msg.stop_reason, 'tool_use');
  const tool = msg.content.find((b) => b.type === 'tool_use');
  assert.ok(tool !== undefined && tool.type === 'tool_use');
  assert.equal(tool.name, 'get_weather');
  assert.deepEqual(tool.input, { city: 'Paris' });
  const first = msg.content[0];
  assert.equal(first?.type === 'text' ? first.text : '', 'Let me check.');
});

test('Anthropic SDK → bedrock model (JSON and stream), SigV4-signed', { timeout: 30_000 }, async (t) => {
  const fake = await startFakeBedrock();
  const gw = await startGateway(bedrockYaml(fake.url));
  t.after(async () => { await gw.close(); await fake.close(); });
  const client = new Anthropic({ baseURL: gw.url(), apiKey: 'sk-ant-client', maxRetries: 0, timeout: 10_000 });
  const msg = await client.messages.create({ model: 'claude', max_tokens: 40, messages: [{ role: 'user', content: 'hi' }] });
  assert.equal(msg.model, 'claude');
  assert.equal(msg.content[0]!.type, 'text');
  const stream = client.messages.stream({ model: 'claude', max_tokens: 40, messages: [{ role: 'user', content: 'hi' }] });
  const text = await stream.finalText();
  assert.equal(text, 'Hello wörld 👋');
  for (const r of fake.received) assert.equal(r.signatureProblem, null, 'every call is correctly signed');
  assert.match(fake.received[1]?.url ?? '', /converse-stream$/);
});
