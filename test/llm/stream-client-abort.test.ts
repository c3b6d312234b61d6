// A client that aborts mid-stream makes the gateway abort the upstream request: the fake
// upstream sees its response closed before it finished.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { accessLine, signal } from '../http/support.js';
import { setup } from './support.js';

test('client abort mid-stream closes the upstream request', { timeout: 30_000 }, async (t) => {
  const { fake, gw, client } = await setup(t);
  const upstreamClosed = signal('upstream request closed');
  fake.on('/v1/chat/completions', (req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.write(`data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', created: 1, model: req.body.model, choices: [{ index: 0, delta: { role: 'assistant', content: 'first' }, finish_reason: null }] })}\n\n`);
    // Never ends by itself.
    res.on('close', () => { if (!res.writableFinished) upstreamClosed.resolve(); });
  });
  const ac = new AbortController();
  const stream = await client.chat.completions.create(
    { model: 'fast', messages: [{ role: 'user', content: 'hi' }], stream: true },
    { signal: ac.signal, headers: { 'x-request-id': 'abort-1' } },
  );
  // The SDK ends the iteration quietly on its own abort (or throws an abort error).
  await (async () => {
    for await (const c of stream) {
      assert.equal(c.choices[0]?.delta.content, 'first');
      ac.abort();
    }
  })().catch((e: unknown) => { if (!(e instanceof Error) || !/abort/i.test(e.name + e.message)) throw e; });
  await upstreamClosed.wait();
  const line = await accessLine(gw, 'abort-1');
  assert.equal(line.aborted, true);
  assert.equal(line.llm.model, 'fast');
});

test('client abort before the usage chunk: usage is estimated and marked so', { timeout: 30_000 }, async (t) => {
  const { fake, gw, client } = await setup(t);
  const upstreamClosed = signal('upstream request closed');
  fake.on('/v1/chat/completions', (req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    // As OpenAI streams: a role event first, then one event per token.
    res.write(`data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', created: 1, model: req.body.model, choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }] })}\n\n`);
    for (const part of ['one', ' two', ' three']) {
      res.write(`data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', created: 1, model: req.body.model, choices: [{ index: 0, delta: { content: part }, finish_reason: null }] })}\n\n`);
    }
    res.on('close', () => { if (!res.writableFinished) upstreamClosed.resolve(); });
  });
  const ac = new AbortController();
  const stream = await client.chat.completions.create(
    { model: 'fast', messages: [{ role: 'system', content: 'You are terse.' }, { role: 'user', content: 'Count to three, please.' }], stream: true },
    { signal: ac.signal, headers: { 'x-request-id': 'abort-estimate-1' } },
  );
  let seen = 0;
  await (async () => {
    for await (const c of stream) {
      if (c.choices[0]?.delta.content) seen++;
      if (seen === 3) ac.abort();
    }
  })().catch((e: unknown) => { if (!(e instanceof Error) || !/abort/i.test(e.name + e.message)) throw e; });
  await upstreamClosed.wait();
  const line = await accessLine(gw, 'abort-estimate-1');
  assert.equal(line.aborted, true);
  assert.equal(line.llm.estimated, true);
  // Two short messages: a handful of text tokens plus OpenAI's per-message framing.
  assert.ok(line.llm.inputTokens > 10 && line.llm.inputTokens < 40, `input ${line.llm.inputTokens}`);
  assert.equal(line.llm.outputTokens, 3, 'one token per content event, the role event aside');
});
