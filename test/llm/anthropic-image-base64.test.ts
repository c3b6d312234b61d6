// Images: a base64 data URL arrives as an Anthropic image block with a base64 source and
// its media type; an https URL as a url source.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setupAnthropic } from './anthropic-support.js';

test('anthropic: image parts become image blocks', { timeout: 30_000 }, async (t) => {
  const { fake, client } = await setupAnthropic(t);
  const png = Buffer.from('fake png bytes').toString('base64');
  await client.chat.completions.create({
    model: 'claude',
    messages: [{ role: 'user', content: [
      { type: 'text', text: 'What is this?' },
      { type: 'image_url', image_url: { url: `data:image/png;base64,${png}` } },
      { type: 'image_url', image_url: { url: 'https://example.com/cat.jpg', detail: 'high' } },
    ] }],
  });
  assert.deepEqual(fake.received[0]!.body.messages[0].content, [
    { type: 'text', text: 'What is this?' },
    { type: 'image', source: { type: 'base64', media_type: 'image/png', data: png } },
    { type: 'image', source: { type: 'url', url: 'https://example.com/cat.jpg' } },
  ]);
});
