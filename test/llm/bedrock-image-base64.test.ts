// A data: URL image becomes a Converse image block with base64 bytes; an http(s) URL is a 400
// naming it (Converse takes bytes, not URLs).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setupBedrock } from './bedrock-support.js';

const PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==';

test('bedrock: base64 image → image block; http URL → 400', { timeout: 30_000 }, async (t) => {
  const { fake, client } = await setupBedrock(t);
  await client.chat.completions.create({
    model: 'claude',
    messages: [{ role: 'user', content: [{ type: 'text', text: 'What is this?' }, { type: 'image_url', image_url: { url: `data:image/png;base64,${PNG}`, detail: 'low' } }] }],
  });
  assert.deepEqual(fake.received[0]!.body.messages[0].content, [
    { text: 'What is this?' },
    { image: { format: 'png', source: { bytes: PNG } } },
  ]);
  await assert.rejects(
    client.chat.completions.create({ model: 'claude', messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'https://example.com/cat.png' } }] }] }),
    (err: any) => err.status === 400 && err.message.includes('"messages[0].content[0].image_url.url"') && /bytes/.test(err.message),
  );
  assert.equal(fake.received.length, 1);
});
