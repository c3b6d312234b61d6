// A client that asks for stream_options.include_usage gets the usage chunk (choices: [])
// as the last chunk, and its other stream_options reach the upstream untouched.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setup } from './support.js';

test('stream with include_usage: the usage chunk reaches the client', { timeout: 30_000 }, async (t) => {
  const { fake, client } = await setup(t);
  const stream = await client.chat.completions.create({
    model: 'fast',
    messages: [{ role: 'user', content: 'hi' }],
    stream: true,
    stream_options: { include_usage: true, include_obfuscation: false },
  });
  const chunks = [];
  for await (const c of stream) chunks.push(c);
  const last = chunks.at(-1)!;
  assert.deepEqual(last.choices, []);
  assert.deepEqual(last.usage, { prompt_tokens: 11, completion_tokens: 7, total_tokens: 18 });
  assert.equal(chunks.filter((c) => c.usage != null).length, 1);
  assert.deepEqual(fake.received[0]!.body.stream_options, { include_usage: true, include_obfuscation: false });
});
