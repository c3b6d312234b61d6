// A client that aborts a gemini stream makes the gateway abort the upstream request, and the
// partial usage (from the usageMetadata seen so far) is still accounted.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { accessLine, signal } from '../http/support.js';
import { setupGemini, streamEvents } from './gemini-support.js';

test('gemini: client abort mid-stream closes the upstream request', { timeout: 30_000 }, async (t) => {
  const { fake, gw, client } = await setupGemini(t);
  const upstreamClosed = signal('upstream request closed');
  fake.on((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.write(streamEvents(false)[0]!);
    // Never ends by itself.
    res.on('close', () => { if (!res.writableFinished) upstreamClosed.resolve(); });
  });
  const ac = new AbortController();
  const stream = await client.chat.completions.create(
    { model: 'gem', messages: [{ role: 'user', content: 'hi' }], stream: true },
    { signal: ac.signal, headers: { 'x-request-id': 'abort-gemini' } },
  );
  await (async () => {
    for await (const c of stream) {
      if (c.choices[0]?.delta.content === 'Hello') ac.abort();
    }
  })().catch((e: unknown) => { if (!(e instanceof Error) || !/abort/i.test(e.name + e.message)) throw e; });
  await upstreamClosed.wait();
  const line = await accessLine(gw, 'abort-gemini');
  assert.equal(line.aborted, true);
  assert.deepEqual(line.llm, { model: 'gem', target: 'gem', provider: 'gemini', attempts: 1, inputTokens: 28, outputTokens: 0, cacheReadTokens: 5, cacheWriteTokens: null, costUsd: 0.000002425 });
});
