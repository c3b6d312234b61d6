// System and developer messages go to the top-level "system", in order, and never into
// "messages".
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setupAnthropic } from './anthropic-support.js';

test('anthropic: system messages become the top-level system', { timeout: 30_000 }, async (t) => {
  const { fake, client } = await setupAnthropic(t);
  await client.chat.completions.create({
    model: 'claude',
    messages: [
      { role: 'system', content: 'Be brief.' },
      { role: 'developer', content: [{ type: 'text', text: 'Answer in French.' }] },
      { role: 'user', content: 'hi' },
      { role: 'assistant', content: 'Bonjour' },
      { role: 'user', content: 'again' },
    ],
  });
  const body = fake.received[0]!.body;
  assert.deepEqual(body.system, [{ type: 'text', text: 'Be brief.' }, { type: 'text', text: 'Answer in French.' }]);
  assert.deepEqual(body.messages.map((m: { role: string }) => m.role), ['user', 'assistant', 'user']);
  assert.deepEqual(body.messages[1].content, [{ type: 'text', text: 'Bonjour' }]);
});
