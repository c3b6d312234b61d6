// A Responses stream passed through (openai model) whose upstream dies mid-way ends with one
// `error` event that continues the stream's numbering: its sequence_number is one more than
// the last event the client got (an unfinished event cut with the connection never reached
// the client, so it does not count). The SDK's stream throws after the events that arrived.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { accessLine } from '../http/support.js';
import { setup } from './support.js';

function sseEvent(type: string, data: Record<string, unknown>): string {
  return `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;
}

const RESPONSE = { id: 'resp_up', object: 'response', created_at: 1, status: 'in_progress', model: 'gpt-4o-mini', output: [], usage: null };

test('responses pass-through: an upstream that dies mid-stream → error event with the next sequence_number', { timeout: 30_000 }, async (t) => {
  const { fake, gw, client } = await setup(t);
  fake.on('/v1/responses', (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.write(sseEvent('response.created', { sequence_number: 0, response: RESPONSE }));
    res.write(sseEvent('response.in_progress', { sequence_number: 1, response: RESPONSE }));
    res.write(sseEvent('response.output_item.added', { sequence_number: 2, output_index: 0, item: { type: 'message', id: 'msg_1', status: 'in_progress', role: 'assistant', content: [] } }));
    res.write(sseEvent('response.content_part.added', { sequence_number: 3, item_id: 'msg_1', output_index: 0, content_index: 0, part: { type: 'output_text', text: '', annotations: [] } }));
    res.write(sseEvent('response.output_text.delta', { sequence_number: 4, item_id: 'msg_1', output_index: 0, content_index: 0, delta: 'Hel' }));
    // Half of the next event, then the connection is cut.
    res.write('event: response.output_text.delta\ndata: {"type":"response.output_text.delta","sequence_number":5,"item_id":"ms', () => res.socket?.destroy());
  });

  const stream = await client.responses.create({ model: 'fast', input: 'hi', stream: true }, { headers: { 'x-request-id': 'resp-dies-1' } });
  const seen: number[] = [];
  let text = '';
  const err = await (async () => {
    for await (const ev of stream) {
      seen.push(ev.sequence_number);
      if (ev.type === 'response.output_text.delta') text += ev.delta;
    }
  })().then(() => null, (e: unknown) => e);
  assert.deepEqual(seen, [0, 1, 2, 3, 4]);
  assert.equal(text, 'Hel');
  assert.ok(err instanceof OpenAI.APIError, String(err));
  assert.match(err.message, /ended before it was complete/);
  const line = await accessLine(gw, 'resp-dies-1');
  assert.equal(line.error, 'AE_UPSTREAM_STREAM_ABORTED');

  // On the wire: exactly one error event, last, numbered after the last event passed on.
  const raw = await fetch(`${gw.url()}/v1/responses`, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'fast', input: 'hi', stream: true }),
  });
  const events = (await raw.text()).split('\n\n').filter((e) => e !== '');
  const errors = events.filter((e) => e.startsWith('event: error'));
  assert.equal(errors.length, 1, events.join('|'));
  assert.equal(events.at(-1), errors[0]);
  const data = JSON.parse(errors[0]!.split('\ndata: ')[1]!) as { type: string; sequence_number: number; code: string };
  assert.equal(data.type, 'error');
  assert.equal(data.sequence_number, 5);
  assert.equal(data.code, 'AE_UPSTREAM_STREAM_ABORTED');
});
