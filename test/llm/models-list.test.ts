// GET P/models lists the configured model names in the OpenAI list shape; GET P/models/{id}
// retrieves one, and an unknown id is the SDK's NotFoundError.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { setup } from './support.js';

test('models list shows the configured names', { timeout: 30_000 }, async (t) => {
  const { fake, client } = await setup(t);
  const ids: string[] = [];
  for await (const m of client.models.list()) {
    assert.equal(m.object, 'model');
    ids.push(m.id);
  }
  assert.deepEqual(ids, ['fast', 'local']);
  const one = await client.models.retrieve('local');
  assert.equal(one.owned_by, 'openai-compatible');
  await assert.rejects(client.models.retrieve('nope'), OpenAI.NotFoundError);
  assert.equal(fake.received.length, 0, 'the model list is the gateway\'s, not the upstream\'s');
});
