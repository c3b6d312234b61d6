// A client that aborts a translated stream makes the gateway abort the upstream Anthropic
// request, and the partial usage (from message_start) is still accounted.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { accessLine, signal } from '../http/support.js';
import { setupAnthropic, streamEvents } from './anthropic-support.js';

test('anthropic: client abort mid-stream closes the upstream request', { timeout: 30_000 }, async (t) => {
  const { fake, gw, client } = await setupAnthropic(t);
  const upstreamClosed = signal('upstream request closed');
  fake.on((req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    for (const e of streamEvents(String(req.body.model), false).slice(0, 4)) res.write(e);
    // Never ends by itself.
    res.on('close', () => { if (!res.writableFinished) upstreamClosed.resolve(); });
  });
  const ac = new AbortController();
  const stream = await client.chat.completions.create(
    { model: 'claude', messages: [{ role: 'user', content: 'hi' }], stream: true },
    { signal: ac.signal, headers: { 'x-request-id': 'abort-anthropic' } },
  );
  await (async () => {
    for await (const c of stream) {
      if (c.choices[0]?.delta.content === 'Hello') ac.abort();
    }
  })().catch((e: unknown) => { if (!(e instanceof Error) || !/abort/i.test(e.name + e.message)) throw e; });
  await upstreamClosed.wait();
  const line = await accessLine(gw, 'abort-anthropic');
  assert.equal(line.aborted, true);
  assert.deepEqual(line.llm, { model: 'claude', target: 'claude', provider: 'anthropic', attempts: 1, inputTokens: 28, outputTokens: 1, cacheReadTokens: 5, cacheWriteTokens: 3, costUsd: 0.00008775 });
});
