// Chat answers → Responses (responses-translate.ts): a whole chat.completion → a response
// object, and chat SSE → Responses events, the same however the upstream bytes are cut.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { GatewayError } from '../../src/core/index.js';
import { ChatToResponsesStream, chatToResponse, responsesStreamError } from '../../src/llm/responses-translate.js';

const IDS = { id: 'abc', createdAt: 1700000000 };

function completion(message: Record<string, unknown>, finish: string, usage: Record<string, unknown> | null = { prompt_tokens: 20, completion_tokens: 5, total_tokens: 25, prompt_tokens_details: { cached_tokens: 8 } }): string {
  return JSON.stringify({ id: 'chatcmpl-1', object: 'chat.completion', created: 1, model: 'x', choices: [{ index: 0, message: { role: 'assistant', ...message }, finish_reason: finish }], ...(usage ? { usage } : {}) });
}

test('a text answer becomes a completed response with a message item and usage', () => {
  const req = { model: 'claude', input: 'Hi', instructions: 'Be brief.', temperature: 0.3, metadata: { k: 'v' } };
  const { body, usage } = chatToResponse(completion({ content: 'Hello!' }, 'stop'), 'claude', req, IDS);
  const r = JSON.parse(body);
  assert.equal(r.id, 'resp_abc');
  assert.equal(r.object, 'response');
  assert.equal(r.created_at, 1700000000);
  assert.equal(r.status, 'completed');
  assert.equal(r.model, 'claude');
  assert.equal(r.error, null);
  assert.equal(r.incomplete_details, null);
  assert.deepEqual(r.output, [{ id: 'msg_abc_0', type: 'message', status: 'completed', role: 'assistant', content: [{ type: 'output_text', annotations: [], logprobs: [], text: 'Hello!' }] }]);
  assert.deepEqual(r.usage, { input_tokens: 20, input_tokens_details: { cached_tokens: 8, cache_write_tokens: 0 }, output_tokens: 5, output_tokens_details: { reasoning_tokens: 0 }, total_tokens: 25 });
  // Echoes: the request's settings, else the documented defaults; store false (nothing kept).
  assert.equal(r.instructions, 'Be brief.');
  assert.equal(r.temperature, 0.3);
  assert.equal(r.top_p, 1);
  assert.equal(r.tool_choice, 'auto');
  assert.deepEqual(r.tools, []);
  assert.equal(r.parallel_tool_calls, true);
  assert.deepEqual(r.text, { format: { type: 'text' }, verbosity: 'medium' });
  assert.deepEqual(r.metadata, { k: 'v' });
  assert.equal(r.store, false);
  assert.equal(r.previous_response_id, null);
  assert.deepEqual(usage, { inputTokens: 20, outputTokens: 5, cacheReadTokens: 8, cacheWriteTokens: null });
});

test('tool calls become function_call items after the text', () => {
  const req = { input: 'x', tools: [{ type: 'function', name: 'get_weather', parameters: { type: 'object' } }], tool_choice: 'required' };
  const raw = completion({ content: 'Checking.', tool_calls: [
    { id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
    { id: 'call_2', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Rome"}' } },
  ] }, 'tool_calls');
  const r = JSON.parse(chatToResponse(raw, 'claude', req, IDS).body);
  assert.equal(r.status, 'completed');
  assert.deepEqual(r.output.slice(1), [
    { id: 'fc_abc_1', type: 'function_call', status: 'completed', arguments: '{"city":"Paris"}', call_id: 'call_1', name: 'get_weather' },
    { id: 'fc_abc_2', type: 'function_call', status: 'completed', arguments: '{"city":"Rome"}', call_id: 'call_2', name: 'get_weather' },
  ]);
  assert.deepEqual(r.tools, [{ type: 'function', name: 'get_weather', description: null, parameters: { type: 'object' }, strict: false }]);
  assert.equal(r.tool_choice, 'required');
});

test('finish_reason length → incomplete (max_output_tokens); content_filter → incomplete (content_filter)', () => {
  const r = JSON.parse(chatToResponse(completion({ content: 'Hel' }, 'length'), 'm', { input: 'x', max_output_tokens: 2 }, IDS).body);
  assert.equal(r.status, 'incomplete');
  assert.deepEqual(r.incomplete_details, { reason: 'max_output_tokens' });
  assert.equal(r.output[0].status, 'incomplete');
  assert.equal(r.max_output_tokens, 2);
  const f = JSON.parse(chatToResponse(completion({ content: null }, 'content_filter'), 'm', { input: 'x' }, IDS).body);
  assert.deepEqual(f.incomplete_details, { reason: 'content_filter' });
  assert.deepEqual(f.output, []);
});

test('no usage in the answer: zeros for the client, null for the gateway; bad JSON is a 502', () => {
  const { body, usage } = chatToResponse(completion({ content: 'a' }, 'stop', null), 'm', { input: 'x' }, IDS);
  assert.equal(JSON.parse(body).usage.total_tokens, 0);
  assert.equal(usage, null);
  assert.throws(() => chatToResponse('not json', 'm', {}), (e: unknown) => e instanceof GatewayError && e.code === 'AE_UPSTREAM_PROTOCOL');
});

// ---- streams

function chunk(delta: Record<string, unknown>, finish: string | null = null): string {
  return `data: ${JSON.stringify({ id: 'chatcmpl-1', object: 'chat.completion.chunk', created: 1, model: 'x', choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
}

/** A chat stream: role, text fragments, tool calls with argument fragments, finish, usage, [DONE]. */
function upstream(texts: string[], calls: string[][], finish: string, crlf = false): Buffer {
  const parts = [chunk({ role: 'assistant', content: '' })];
  for (const t of texts) parts.push(chunk({ content: t }));
  calls.forEach((args, i) => {
    parts.push(chunk({ tool_calls: [{ index: i, id: `call_${i}`, type: 'function', function: { name: `f${i}`, arguments: '' } }] }));
    for (const a of args) parts.push(chunk({ tool_calls: [{ index: i, function: { arguments: a } }] }));
  });
  parts.push(chunk({}, finish));
  parts.push(`data: ${JSON.stringify({ id: 'chatcmpl-1', object: 'chat.completion.chunk', choices: [], usage: { prompt_tokens: 11, completion_tokens: 7, total_tokens: 18 } })}\n\n`);
  parts.push('data: [DONE]\n\n');
  const text = parts.join('');
  return Buffer.from(crlf ? text.replace(/\n/g, '\r\n') : text);
}

interface Ev { event: string; data: Record<string, any> }

function parse(sse: string): Ev[] {
  return sse.split('\n\n').filter((e) => e !== '').map((e) => {
    const [ev, data] = e.split('\n');
    return { event: ev!.slice('event: '.length), data: JSON.parse(data!.slice('data: '.length)) };
  });
}

function translate(stream: Buffer, cuts: number[] = []): { out: string; tr: ChatToResponsesStream } {
  const tr = new ChatToResponsesStream('claude', { input: 'x', stream: true }, IDS);
  const points = [...new Set(cuts.map((c) => c % (stream.length + 1)))].sort((a, b) => a - b);
  let out = '';
  let prev = 0;
  for (const p of [...points, stream.length]) {
    const part = tr.push(stream.subarray(prev, p));
    assert.ok(part === '' || part.endsWith('\n\n'), JSON.stringify(part));
    out += part;
    prev = p;
  }
  return { out, tr };
}

test('a text stream gives the Responses event sequence with rising sequence numbers', () => {
  const { out, tr } = translate(upstream(['Hel', 'lo'], [], 'stop'));
  const evs = parse(out);
  assert.deepEqual(evs.map((e) => e.event), [
    'response.created', 'response.in_progress', 'response.output_item.added', 'response.content_part.added',
    'response.output_text.delta', 'response.output_text.delta', 'response.output_text.done', 'response.content_part.done',
    'response.output_item.done', 'response.completed',
  ]);
  evs.forEach((e, i) => { assert.equal(e.data.sequence_number, i); assert.equal(e.data.type, e.event); });
  assert.equal(evs[0]!.data.response.status, 'in_progress');
  assert.equal(evs[0]!.data.response.usage, null);
  assert.equal(evs[6]!.data.text, 'Hello');
  const done = evs.at(-1)!.data.response;
  assert.equal(done.status, 'completed');
  assert.deepEqual(done.output, [{ id: 'msg_abc_0', type: 'message', status: 'completed', role: 'assistant', content: [{ type: 'output_text', annotations: [], logprobs: [], text: 'Hello' }] }]);
  assert.deepEqual(done.usage, { input_tokens: 11, input_tokens_details: { cached_tokens: 0, cache_write_tokens: 0 }, output_tokens: 7, output_tokens_details: { reasoning_tokens: 0 }, total_tokens: 18 });
  assert.ok(tr.finished && !tr.failed && tr.sawFinish);
  assert.deepEqual(tr.usage, { inputTokens: 11, outputTokens: 7, cacheReadTokens: null, cacheWriteTokens: null });
});

test('tool calls stream as function_call items with argument deltas', () => {
  const evs = parse(translate(upstream(['Hm'], [['{"a"', ':1}'], ['{}']], 'tool_calls')).out);
  const names = evs.map((e) => e.event);
  assert.deepEqual(names.slice(8), [
    'response.output_item.added', 'response.function_call_arguments.delta', 'response.function_call_arguments.delta',
    'response.function_call_arguments.done', 'response.output_item.done',
    'response.output_item.added', 'response.function_call_arguments.delta', 'response.function_call_arguments.done', 'response.output_item.done',
    'response.completed',
  ]);
  assert.deepEqual(evs[8]!.data.item, { id: 'fc_abc_1', type: 'function_call', status: 'in_progress', arguments: '', call_id: 'call_0', name: 'f0' });
  assert.deepEqual(evs[11]!.data, { type: 'response.function_call_arguments.done', sequence_number: 11, item_id: 'fc_abc_1', output_index: 1, name: 'f0', arguments: '{"a":1}' });
  const output = evs.at(-1)!.data.response.output;
  assert.deepEqual(output.map((o: any) => [o.type, o.status, o.arguments]), [['message', 'completed', undefined], ['function_call', 'completed', '{"a":1}'], ['function_call', 'completed', '{}']]);
});

test('finish_reason length ends with response.incomplete', () => {
  const evs = parse(translate(upstream(['Hel'], [], 'length')).out);
  const last = evs.at(-1)!;
  assert.equal(last.event, 'response.incomplete');
  assert.equal(last.data.response.status, 'incomplete');
  assert.deepEqual(last.data.response.incomplete_details, { reason: 'max_output_tokens' });
  assert.equal(last.data.response.output[0].status, 'incomplete');
});

test('an upstream that stops after its finish reason without [DONE] is ended by end()', () => {
  const full = upstream(['a'], [], 'stop').toString();
  const cut = full.slice(0, full.indexOf('data: [DONE]'));
  const tr = new ChatToResponsesStream('m', {}, IDS);
  const out = tr.push(cut);
  assert.ok(!tr.finished && tr.sawFinish);
  const end = parse(tr.end());
  assert.equal(end.at(-1)!.event, 'response.completed');
  assert.equal(end.at(-1)!.data.sequence_number, parse(out).length + end.length - 1);
  assert.equal(tr.end(), '');
});

test('an upstream error event marks the stream failed; fail() renders the terminal error event', () => {
  const tr = new ChatToResponsesStream('m', {}, IDS);
  const out = tr.push(chunk({ content: 'a' }) + 'data: {"error":{"message":"overloaded","type":"server_error"}}\n\n' + chunk({ content: 'b' }));
  assert.ok(tr.failed && tr.finished);
  assert.equal(tr.errorMessage, 'overloaded');
  const n = parse(out).length;
  const [err] = parse(tr.fail(new GatewayError('AE_UPSTREAM_ERROR'), 'req-1'));
  assert.equal(err!.event, 'error');
  assert.equal(err!.data.type, 'error');
  assert.equal(err!.data.sequence_number, n);
  assert.equal(err!.data.code, 'AE_UPSTREAM_ERROR');
  assert.equal(err!.data.param, null);
  assert.equal(typeof err!.data.message, 'string');
  assert.deepEqual(err!.data.error, { type: 'api_error', code: 'AE_UPSTREAM_ERROR', message: err!.data.message, param: null, request_id: 'req-1' });
  assert.equal(tr.push(chunk({ content: 'c' })), '');
  assert.match(responsesStreamError(new GatewayError('AE_UPSTREAM_STREAM_ABORTED'), 7), /^event: error\ndata: \{"type":"error","sequence_number":7,/);
});

test('stream translation is independent of chunk boundaries (and of LF / CRLF)', () => {
  fc.assert(fc.property(
    fc.array(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 8 }), { maxLength: 5 }),
    fc.array(fc.array(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 6 }), { maxLength: 3 }), { maxLength: 3 }),
    fc.constantFrom('stop', 'length', 'tool_calls'),
    fc.array(fc.nat(), { maxLength: 12 }),
    fc.boolean(),
    (texts, calls, finish, cuts, crlf) => {
      const whole = translate(upstream(texts, calls, finish, false)).out;
      const { out, tr } = translate(upstream(texts, calls, finish, crlf), cuts);
      assert.equal(out, whole);
      assert.ok(tr.finished);
      // The final response holds what the deltas said.
      const final = parse(out).at(-1)!.data.response;
      const text = final.output.filter((o: any) => o.type === 'message').map((o: any) => o.content[0].text).join('');
      assert.equal(text, texts.join(''));
      assert.deepEqual(final.output.filter((o: any) => o.type === 'function_call').map((o: any) => o.arguments), calls.map((a) => a.join('')));
    },
  ));
});

test('round trip: the stream and the whole answer describe the same response', () => {
  fc.assert(fc.property(
    fc.array(fc.string({ minLength: 1, maxLength: 8 }), { minLength: 1, maxLength: 4 }),
    fc.array(fc.array(fc.string({ minLength: 1, maxLength: 6 }), { maxLength: 3 }), { maxLength: 2 }),
    (texts, calls) => {
      const finish = calls.length > 0 ? 'tool_calls' : 'stop';
      const streamed = parse(translate(upstream(texts, calls, finish)).out).at(-1)!.data.response;
      const raw = completion({
        content: texts.join(''),
        tool_calls: calls.map((a, i) => ({ id: `call_${i}`, type: 'function', function: { name: `f${i}`, arguments: a.join('') } })),
      }, finish, { prompt_tokens: 11, completion_tokens: 7, total_tokens: 18 });
      const whole = JSON.parse(chatToResponse(raw, 'claude', { input: 'x', stream: true }, IDS).body);
      assert.deepEqual(streamed, whole);
    },
  ));
});
