// An upstream that dies mid-stream ends the client's stream with one OpenAI error event:
// the SDK's stream throws after the chunks that did arrive.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { setup } from './support.js';

test('upstream dies mid-stream → the SDK stream throws', { timeout: 30_000 }, async (t) => {
  const { fake, client } = await setup(t);
  fake.on('/v1/chat/completions', (req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.write(`data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', created: 1, model: req.body.model, choices: [{ index: 0, delta: { role: 'assistant', content: 'partial' }, finish_reason: null }] })}\n\n`);
    // Half an event, then the connection is cut.
    res.write('data: {"id":"c","obj', () => res.socket?.destroy());
  });
  const stream = await client.chat.completions.create({ model: 'fast', messages: [{ role: 'user', content: 'hi' }], stream: true });
  let text = '';
  const err = await (async () => {
    for await (const c of stream) text += c.choices[0]?.delta.content ?? '';
  })().then(() => null, (e: unknown) => e);
  assert.equal(text, 'partial');
  assert.ok(err instanceof OpenAI.APIError, String(err));
  assert.match(err.message, /ended before it was complete/);
});
