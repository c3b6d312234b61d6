// A stream that keeps trickling (a chunk every ~50 ms, longer in total than
// `timeouts.idle`) is not killed: the idle timeout is between chunks, not in total.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'undici';
import { startGateway, proxyConfig } from '../helpers/gateway.js';
import { startUpstream } from '../helpers/upstream.js';

test('a trickling stream outlives the idle timeout', { timeout: 30_000 }, async (t) => {
  const CHUNKS = 16;
  const up = await startUpstream((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    let n = 0;
    const timer = setInterval(() => {
      res.write(`data: ${++n}\n\n`);
      if (n === CHUNKS) { clearInterval(timer); res.end(); }
    }, 50);
    res.once('close', () => clearInterval(timer));
  });
  // 16 × 50 ms is well past the 300 ms idle timeout in total.
  const gw = await startGateway(proxyConfig(up.url, { backend: '      timeouts: { idle: 300ms, response: 300ms }' }));
  t.after(async () => { await gw.close(); await up.close(); });

  const res = await request(`${gw.url()}/trickle`);
  const text = await res.body.text();
  assert.equal(text, Array.from({ length: CHUNKS }, (_, i) => `data: ${i + 1}\n\n`).join(''));
  assert.ok(!text.includes('event: error'));
});
