// An error mid-stream (a Gemini `data: {"error": …}` event, or the connection dying) ends
// the client's stream with one OpenAI error event: the SDK's stream throws after the text
// that did arrive.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { setupGemini, sse, streamEvents } from './gemini-support.js';

test('gemini: upstream error mid-stream → the SDK stream throws', { timeout: 30_000 }, async (t) => {
  const { fake, client } = await setupGemini(t);
  const read = async () => {
    const stream = await client.chat.completions.create({ model: 'gem', messages: [{ role: 'user', content: 'hi' }], stream: true });
    let text = '';
    const err = await (async () => {
      for await (const c of stream) text += c.choices[0]?.delta.content ?? '';
    })().then(() => null, (e: unknown) => e);
    return { text, err };
  };

  fake.on((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.write(streamEvents(false)[0]!);
    res.end(sse({ error: { code: 503, message: 'The model is overloaded. Please try again later.', status: 'UNAVAILABLE' } }));
  });
  const a = await read();
  assert.equal(a.text, 'Hello');
  assert.ok(a.err instanceof OpenAI.APIError, String(a.err));
  assert.match(a.err.message, /overloaded/);

  fake.on((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.write(streamEvents(false)[0]!);
    res.write('data: {"candidates": [{"content": {"parts": [{"text": " wö', () => res.socket?.destroy());
  });
  const b = await read();
  assert.equal(b.text, 'Hello');
  assert.ok(b.err instanceof OpenAI.APIError, String(b.err));
  assert.match(b.err.message, /ended before it was complete/);

  // A stream that ends cleanly but without a finishReason was cut short too.
  fake.on((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.end(streamEvents(false)[0]!);
  });
  const c = await read();
  assert.equal(c.text, 'Hello');
  assert.ok(c.err instanceof OpenAI.APIError, String(c.err));
});
