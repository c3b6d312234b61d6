// An error mid-stream (an Anthropic `event: error`, or the connection dying) ends the
// client's stream with one OpenAI error event: the SDK's stream throws after the text that
// did arrive.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { sse, setupAnthropic, streamEvents } from './anthropic-support.js';

test('anthropic: upstream error mid-stream → the SDK stream throws', { timeout: 30_000 }, async (t) => {
  const { fake, client } = await setupAnthropic(t);
  const read = async () => {
    const stream = await client.chat.completions.create({ model: 'claude', messages: [{ role: 'user', content: 'hi' }], stream: true });
    let text = '';
    const err = await (async () => {
      for await (const c of stream) text += c.choices[0]?.delta.content ?? '';
    })().then(() => null, (e: unknown) => e);
    return { text, err };
  };

  fake.on((req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    for (const e of streamEvents(String(req.body.model), false).slice(0, 4)) res.write(e);
    res.end(sse({ type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } }));
  });
  const a = await read();
  assert.equal(a.text, 'Hello');
  assert.ok(a.err instanceof OpenAI.APIError, String(a.err));
  assert.match(a.err.message, /Overloaded/);

  fake.on((req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    for (const e of streamEvents(String(req.body.model), false).slice(0, 4)) res.write(e);
    res.write('event: content_block_delta\ndata: {"type":"content_bl', () => res.socket?.destroy());
  });
  const b = await read();
  assert.equal(b.text, 'Hello');
  assert.ok(b.err instanceof OpenAI.APIError, String(b.err));
  assert.match(b.err.message, /ended before it was complete/);
});
