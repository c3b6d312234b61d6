// System and developer messages become Gemini's systemInstruction (in order), never a turn
// of contents; assistant turns become role "model".
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setupGemini } from './gemini-support.js';

test('gemini: system messages → systemInstruction', { timeout: 30_000 }, async (t) => {
  const { fake, client } = await setupGemini(t);
  await client.chat.completions.create({
    model: 'gem',
    messages: [
      { role: 'system', content: 'Be brief.' },
      { role: 'developer', content: [{ type: 'text', text: 'Answer in French.' }] },
      { role: 'user', content: 'hi' },
      { role: 'assistant', content: 'salut' },
      { role: 'user', content: 'ça va?' },
    ],
  });
  const body = fake.received[0]!.body;
  assert.deepEqual(body.systemInstruction, { parts: [{ text: 'Be brief.' }, { text: 'Answer in French.' }] });
  assert.deepEqual(body.contents, [
    { role: 'user', parts: [{ text: 'hi' }] },
    { role: 'model', parts: [{ text: 'salut' }] },
    { role: 'user', parts: [{ text: 'ça va?' }] },
  ]);
});
