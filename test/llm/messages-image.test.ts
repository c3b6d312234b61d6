// Image blocks through the Anthropic front over an OpenAI model: a base64 source becomes an
// image_url data URL, a url source the URL itself.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setupMessages } from './messages-support.js';

test('image blocks (base64 and url) become image_url parts', { timeout: 30_000 }, async (t) => {
  const { fake, client } = await setupMessages(t);
  const msg = await client.messages.create({
    model: 'fast', max_tokens: 100,
    messages: [{
      role: 'user',
      content: [
        { type: 'text', text: 'What is this?' },
        { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBORw0KGgo=' } },
        { type: 'image', source: { type: 'url', url: 'https://example.com/cat.jpg' } },
      ],
    }],
  });
  assert.equal(msg.content[0]!.type, 'text');
  assert.deepEqual(fake.received[0]!.body.messages, [{
    role: 'user',
    content: [
      { type: 'text', text: 'What is this?' },
      { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } },
      { type: 'image_url', image_url: { url: 'https://example.com/cat.jpg' } },
    ],
  }]);
});
