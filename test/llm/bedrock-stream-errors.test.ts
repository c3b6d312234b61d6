// An exception frame mid-stream, a corrupt frame, or a stream cut inside a frame: the client
// gets what came before, then one OpenAI error event; the SDK's stream throws.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { eventFrame, exceptionFrame, setupBedrock, writeSplit } from './bedrock-support.js';

async function collect(stream: AsyncIterable<any>): Promise<{ text: string; error: any }> {
  let text = '';
  try {
    for await (const c of stream) text += c.choices[0]?.delta?.content ?? '';
  } catch (err) {
    return { text, error: err };
  }
  return { text, error: null };
}

const head = [eventFrame('messageStart', { role: 'assistant' }), eventFrame('contentBlockDelta', { contentBlockIndex: 0, delta: { text: 'Hel' } })];

test('bedrock: exception mid-stream → one error event, the SDK stream throws', { timeout: 30_000 }, async (t) => {
  const { fake, client, gw } = await setupBedrock(t);
  fake.on((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/vnd.amazon.eventstream' });
    writeSplit(res, [...head, exceptionFrame('throttlingException', 'Too many tokens, please wait.'), eventFrame('messageStop', { stopReason: 'end_turn' })]);
    res.end();
  });
  const { text, error } = await collect(await client.chat.completions.create({ model: 'claude', messages: [{ role: 'user', content: 'hi' }], stream: true }));
  assert.equal(text, 'Hel');
  assert.ok(error);
  assert.match(String(error.message), /Too many tokens/);

  const raw = await fetch(`${gw.url()}/v1/chat/completions`, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'claude', messages: [{ role: 'user', content: 'hi' }], stream: true }),
  });
  const body = await raw.text();
  const errors = body.split('\n\n').filter((e) => e.includes('"error"'));
  assert.equal(errors.length, 1);
  assert.deepEqual(JSON.parse(errors[0]!.slice('data: '.length)).error, { message: 'Too many tokens, please wait.', type: 'throttlingException', param: null, code: 'AE_UPSTREAM_ERROR' });
  assert.ok(!body.includes('[DONE]'));
  assert.ok(body.trimEnd().endsWith('}'));
});

test('bedrock: corrupt or truncated frames → one error event', { timeout: 30_000 }, async (t) => {
  const { fake, gw, client } = await setupBedrock(t);
  const corrupt = Buffer.from(eventFrame('contentBlockDelta', { contentBlockIndex: 0, delta: { text: 'lo' } }));
  corrupt[corrupt.length - 6] = corrupt[corrupt.length - 6]! ^ 0xff;
  const cut = eventFrame('contentBlockDelta', { contentBlockIndex: 0, delta: { text: 'lo' } }).subarray(0, 30);
  for (const [tail, code] of [[corrupt, 'AE_UPSTREAM_PROTOCOL'], [cut, 'AE_UPSTREAM_STREAM_ABORTED']] as const) {
    fake.on((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/vnd.amazon.eventstream' });
      writeSplit(res, [...head, tail]);
      res.end();
    });
    const raw = await fetch(`${gw.url()}/v1/chat/completions`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'claude', messages: [{ role: 'user', content: 'hi' }], stream: true }),
    });
    const events = (await raw.text()).split('\n\n').filter((e) => e !== '');
    const errors = events.filter((e) => e.includes('"error"'));
    assert.equal(errors.length, 1, events.join('|'));
    assert.equal(JSON.parse(errors[0]!.slice('data: '.length)).error.code, code);
    assert.equal(events.at(-1), errors[0]);
    const { error } = await collect(await client.chat.completions.create({ model: 'claude', messages: [{ role: 'user', content: 'hi' }], stream: true }));
    assert.ok(error);
  }
});
