// P/responses through the gateway with the real openai SDK: passed through to an openai
// model (usage read from response.completed), translated for anthropic and gemini models
// (JSON and streams, tool calls), and refused with a 400 for what a stateless gateway
// cannot do.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { accessLine } from '../http/support.js';
import { ANTHROPIC_KEY, setupAnthropic } from './anthropic-support.js';
import { setupGemini } from './gemini-support.js';
import { BACKEND_KEY, setup } from './support.js';

const TOOLS = [{ type: 'function' as const, name: 'get_weather', description: 'Weather for a city', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] }, strict: false }];

const RESPONSE = {
  id: 'resp_up', object: 'response', created_at: 1, status: 'completed', model: 'gpt-4o-mini', output: [
    { type: 'message', id: 'msg_1', status: 'completed', role: 'assistant', content: [{ type: 'output_text', text: 'Hello world', annotations: [] }] },
  ], usage: { input_tokens: 12, input_tokens_details: { cached_tokens: 4 }, output_tokens: 3, output_tokens_details: { reasoning_tokens: 0 }, total_tokens: 15 },
  parallel_tool_calls: true, tool_choice: 'auto', tools: [], temperature: 1, top_p: 1, text: { format: { type: 'text' } }, error: null, incomplete_details: null, instructions: null, metadata: {},
};

function sseEvent(type: string, data: Record<string, unknown>): string {
  return `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;
}

test('responses → openai model: passed through with the backend key, usage from the answer', { timeout: 30_000 }, async (t) => {
  const { fake, gw, client } = await setup(t);
  fake.on('/v1/responses', (req, res) => {
    if (req.body.stream === true) {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(sseEvent('response.created', { sequence_number: 0, response: { ...RESPONSE, status: 'in_progress', output: [], usage: null } }));
      res.write(sseEvent('response.output_item.added', { sequence_number: 1, output_index: 0, item: { type: 'message', id: 'msg_1', status: 'in_progress', role: 'assistant', content: [] } }));
      res.write(sseEvent('response.content_part.added', { sequence_number: 2, item_id: 'msg_1', output_index: 0, content_index: 0, part: { type: 'output_text', text: '', annotations: [] } }));
      res.write(sseEvent('response.output_text.delta', { sequence_number: 3, item_id: 'msg_1', output_index: 0, content_index: 0, delta: 'Hello world' }));
      res.end(sseEvent('response.completed', { sequence_number: 4, response: RESPONSE }));
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(RESPONSE));
  });
  const r = await client.responses.create({ model: 'fast', input: 'hi', previous_response_id: 'resp_0' }, { headers: { 'x-request-id': 'resp-pass-1' } });
  assert.equal(r.output_text, 'Hello world');
  const up = fake.received[0]!;
  assert.equal(up.url, '/v1/responses');
  assert.equal(up.body.model, 'gpt-4o-mini');
  assert.equal(up.body.previous_response_id, 'resp_0', 'OpenAI keeps state: passed through');
  assert.equal(up.headers.authorization, `Bearer ${BACKEND_KEY}`);
  const log = await accessLine(gw, 'resp-pass-1');
  assert.equal(log.llm.inputTokens, 12);
  assert.equal(log.llm.outputTokens, 3);
  assert.equal(log.llm.cacheReadTokens, 4);

  const stream = client.responses.stream({ model: 'fast', input: 'hi' }, { headers: { 'x-request-id': 'resp-pass-2' } });
  const final = await stream.finalResponse();
  assert.equal(final.output_text, 'Hello world');
  const log2 = await accessLine(gw, 'resp-pass-2');
  assert.equal(log2.llm.outputTokens, 3);
});

test('responses → anthropic model (JSON): translated through chat, tools included', { timeout: 30_000 }, async (t) => {
  const { fake, client } = await setupAnthropic(t);
  const r = await client.responses.create({ model: 'claude', instructions: 'Be brief.', input: 'Weather in Paris?', tools: TOOLS, max_output_tokens: 64 });
  assert.equal(r.model, 'claude');
  const call = r.output.find((o) => o.type === 'function_call');
  assert.ok(call !== undefined && call.type === 'function_call');
  assert.equal(call.name, 'get_weather');
  assert.deepEqual(JSON.parse(call.arguments), { city: 'Paris' });
  const up = fake.received[0]!;
  assert.equal(up.url, '/v1/messages');
  assert.equal(up.headers['x-api-key'], ANTHROPIC_KEY);
  assert.equal(up.body.max_tokens, 64);
  assert.deepEqual(up.body.system, [{ type: 'text', text: 'Be brief.' }]);
  assert.equal(up.body.tools[0].name, 'get_weather');
});

test('responses → gemini model (stream): Responses events, text whole', { timeout: 30_000 }, async (t) => {
  const { client, gw } = await setupGemini(t);
  const stream = client.responses.stream({ model: 'gem', input: 'hi' }, { headers: { 'x-request-id': 'resp-gem-1' } });
  const types: string[] = [];
  stream.on('event', (e) => types.push(e.type));
  const final = await stream.finalResponse();
  assert.equal(final.output_text, 'Hello wörld 👋');
  assert.equal(types[0], 'response.created');
  assert.equal(types.at(-1), 'response.completed');
  assert.ok(types.includes('response.output_text.delta'));
  const log = await accessLine(gw, 'resp-gem-1');
  assert.equal(log.llm.inputTokens, 28);
  assert.equal(log.llm.outputTokens, 9);
});

test('responses → a translated model: stateful fields are a 400 naming them', { timeout: 30_000 }, async (t) => {
  const { client } = await setupGemini(t);
  const err = await client.responses.create({ model: 'gem', input: 'hi', previous_response_id: 'resp_1' }).then(() => null, (e: unknown) => e);
  assert.ok(err instanceof OpenAI.BadRequestError, String(err));
  assert.match(err.message, /previous_response_id/);
});
