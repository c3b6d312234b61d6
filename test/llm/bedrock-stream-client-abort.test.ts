// A client that aborts a Bedrock stream makes the gateway abort the upstream ConverseStream
// request; the access log records the abort.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { accessLine, signal } from '../http/support.js';
import { setupBedrock, streamFrames } from './bedrock-support.js';

test('bedrock: client abort mid-stream closes the upstream request', { timeout: 30_000 }, async (t) => {
  const { fake, gw, client } = await setupBedrock(t);
  const upstreamClosed = signal('upstream request closed');
  fake.on((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/vnd.amazon.eventstream' });
    for (const f of streamFrames(false).slice(0, 3)) res.write(f);
    // Never ends by itself.
    res.on('close', () => { if (!res.writableFinished) upstreamClosed.resolve(); });
  });
  const ac = new AbortController();
  const stream = await client.chat.completions.create(
    { model: 'claude', messages: [{ role: 'user', content: 'hi' }], stream: true },
    { signal: ac.signal, headers: { 'x-request-id': 'abort-bedrock' } },
  );
  await (async () => {
    for await (const c of stream) {
      if (c.choices[0]?.delta.content === 'Hello') ac.abort();
    }
  })().catch((e: unknown) => { if (!(e instanceof Error) || !/abort/i.test(e.name + e.message)) throw e; });
  await upstreamClosed.wait();
  const line = await accessLine(gw, 'abort-bedrock');
  assert.equal(line.aborted, true);
  assert.equal(line.llm.provider, 'bedrock');
});
