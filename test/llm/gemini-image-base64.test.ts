// An image as a base64 data: URL reaches Gemini as an inlineData part with its MIME type; an
// http(s) image URL (Gemini does not fetch web URLs) is a 400 naming the field.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { setupGemini } from './gemini-support.js';

const PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==';

test('gemini: base64 image → inlineData, image URL → 400', { timeout: 30_000 }, async (t) => {
  const { fake, client } = await setupGemini(t);
  await client.chat.completions.create({
    model: 'gem',
    messages: [{ role: 'user', content: [{ type: 'text', text: 'what is this?' }, { type: 'image_url', image_url: { url: `data:image/png;base64,${PNG}`, detail: 'low' } }] }],
  });
  assert.deepEqual(fake.received[0]!.body.contents, [{ role: 'user', parts: [{ text: 'what is this?' }, { inlineData: { mimeType: 'image/png', data: PNG } }] }]);

  const err = await client.chat.completions.create({
    model: 'gem', messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'https://example.com/cat.png' } }] }],
  }).then(() => null, (e: unknown) => e);
  assert.ok(err instanceof OpenAI.BadRequestError, String(err));
  assert.match(err.message, /messages\[0\]\.content\[0\]\.image_url\.url/);
  assert.equal(fake.received.length, 1);
});
