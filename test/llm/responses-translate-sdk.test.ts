// The official openai SDK accepts what the translation produces: a tiny loopback server
// answers /v1/responses with translated bytes (no gateway), and the SDK's create(),
// create({stream: true}) and responses.stream() read them as they would OpenAI's.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import OpenAI from 'openai';
import { GatewayError } from '../../src/core/index.js';
import { ChatToResponsesStream, chatToResponse } from '../../src/llm/responses-translate.js';

function chunk(delta: Record<string, unknown>, finish: string | null = null): string {
  return `data: ${JSON.stringify({ id: 'chatcmpl-1', object: 'chat.completion.chunk', created: 1, model: 'x', choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
}

const TEXT_AND_CALL = [
  chunk({ role: 'assistant', content: '' }), chunk({ content: 'Let me ' }), chunk({ content: 'check.' }),
  chunk({ tool_calls: [{ index: 0, id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '' } }] }),
  chunk({ tool_calls: [{ index: 0, function: { arguments: '{"city":' } }] }),
  chunk({ tool_calls: [{ index: 0, function: { arguments: '"Paris"}' } }] }),
  chunk({}, 'tool_calls'),
  `data: ${JSON.stringify({ id: 'chatcmpl-1', object: 'chat.completion.chunk', choices: [], usage: { prompt_tokens: 30, completion_tokens: 9, total_tokens: 39, prompt_tokens_details: { cached_tokens: 10 } } })}\n\n`,
  'data: [DONE]\n\n',
].join('');

/** Serves `answer(body)` at POST /v1/responses; SSE when the request streams. */
async function server(t: { after(fn: () => Promise<void>): void }, answer: (req: Record<string, unknown>) => string): Promise<OpenAI> {
  const srv = http.createServer((req, res) => {
    let raw = '';
    req.on('data', (c: Buffer) => { raw += c.toString(); });
    req.on('end', () => {
      assert.equal(req.url, '/v1/responses');
      const body = JSON.parse(raw) as Record<string, unknown>;
      res.writeHead(200, { 'content-type': body.stream === true ? 'text/event-stream' : 'application/json' });
      res.end(answer(body));
    });
  });
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => { srv.close(() => { resolve(); }); }));
  const { port } = srv.address() as AddressInfo;
  return new OpenAI({ baseURL: `http://127.0.0.1:${port}/v1`, apiKey: 'sk-test', maxRetries: 0, timeout: 10_000 });
}

/** The translated stream, pushed in small uneven pieces as it would arrive. */
function translated(req: Record<string, unknown>, upstream: string): string {
  const tr = new ChatToResponsesStream('claude', req);
  let out = '';
  for (let i = 0; i < upstream.length; i += 7) out += tr.push(upstream.slice(i, i + 7));
  return out;
}

const TOOLS = [{ type: 'function' as const, name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } }, strict: false }];

test('the SDK reads a translated whole response (output_text, function calls, usage)', async (t) => {
  const client = await server(t, (req) => chatToResponse(JSON.stringify({
    id: 'chatcmpl-1', object: 'chat.completion', created: 1, model: 'x',
    choices: [{ index: 0, message: { role: 'assistant', content: 'Let me check.', tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }] }, finish_reason: 'tool_calls' }],
    usage: { prompt_tokens: 30, completion_tokens: 9, total_tokens: 39 },
  }), 'claude', req).body);
  const r = await client.responses.create({ model: 'claude', input: 'Weather in Paris?', tools: TOOLS });
  assert.equal(r.status, 'completed');
  assert.equal(r.output_text, 'Let me check.');
  const call = r.output.find((o) => o.type === 'function_call');
  assert.ok(call?.type === 'function_call');
  assert.equal(call.call_id, 'call_1');
  assert.deepEqual(JSON.parse(call.arguments), { city: 'Paris' });
  assert.equal(r.usage?.total_tokens, 39);
});

test('create({stream: true}) yields the typed events in order with rising sequence numbers', async (t) => {
  const client = await server(t, (req) => translated(req, TEXT_AND_CALL));
  const stream = await client.responses.create({ model: 'claude', input: 'Weather in Paris?', tools: TOOLS, stream: true });
  const types: string[] = [];
  let seq = -1;
  let text = '';
  for await (const ev of stream) {
    types.push(ev.type);
    assert.equal(ev.sequence_number, seq + 1);
    seq = ev.sequence_number;
    if (ev.type === 'response.output_text.delta') text += ev.delta;
  }
  assert.equal(text, 'Let me check.');
  assert.equal(types[0], 'response.created');
  assert.equal(types.at(-1), 'response.completed');
  assert.ok(types.includes('response.function_call_arguments.done'));
});

test('responses.stream() accumulates the translated events into the final response', async (t) => {
  const client = await server(t, (req) => translated(req, TEXT_AND_CALL));
  const deltas: string[] = [];
  const stream = client.responses.stream({ model: 'claude', input: 'Weather in Paris?', tools: TOOLS });
  stream.on('response.output_text.delta', (e) => { deltas.push(e.snapshot); });
  const final = await stream.finalResponse();
  assert.deepEqual(deltas, ['Let me ', 'Let me check.']);
  assert.equal(final.status, 'completed');
  assert.equal(final.output_text, 'Let me check.');
  const call = final.output.find((o) => o.type === 'function_call');
  assert.ok(call?.type === 'function_call');
  assert.equal(call.arguments, '{"city":"Paris"}');
  assert.equal(call.name, 'get_weather');
  assert.deepEqual(final.usage, { input_tokens: 30, input_tokens_details: { cached_tokens: 10, cache_write_tokens: 0 }, output_tokens: 9, output_tokens_details: { reasoning_tokens: 0 }, total_tokens: 39 });
});

test('the terminal error event makes the SDK raise, mid-stream', async (t) => {
  const client = await server(t, (req) => {
    const tr = new ChatToResponsesStream('claude', req);
    const out = tr.push(chunk({ role: 'assistant', content: 'Hel' }) + 'data: {"error":{"message":"boom"}}\n\n');
    assert.ok(tr.failed);
    return out + tr.fail(new GatewayError('AE_UPSTREAM_ERROR'), 'req-9');
  });
  const stream = client.responses.stream({ model: 'claude', input: 'x' });
  await assert.rejects(stream.finalResponse(), (err: unknown) => {
    assert.ok(err instanceof OpenAI.APIError, String(err));
    assert.match(err.message, /upstream service answered with an error/);
    return true;
  });
  const raw = await client.responses.create({ model: 'claude', input: 'x', stream: true });
  await assert.rejects((async () => { for await (const _ of raw) { /* drain */ } })(), OpenAI.APIError);
});
