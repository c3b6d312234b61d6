// A client that reads a huge streamed response slowly (RELIABILITY 3): each time it
// stops reading, the stop propagates back until the upstream waits for drain, and the
// gateway's live memory stays far below the 200 MB that pass through it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { startGateway, proxyConfig } from '../helpers/gateway.js';
import { startUpstream, waitFor } from '../helpers/upstream.js';
import { liveMemory } from './support.js';

const MB = 1024 * 1024;
const TOTAL = 200 * MB;
const PAUSE_EVERY = 20 * MB;

test('slow reader: backpressure reaches the upstream, memory bounded, every byte delivered', { timeout: 30_000 }, async (t) => {
  const chunk = Buffer.alloc(64 * 1024, 0x62);
  let written = 0;
  let blocked = false;
  const up = await startUpstream((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(TOTAL) });
    const pump = (): void => {
      while (written < TOTAL) {
        written += chunk.length;
        if (!res.write(chunk)) { blocked = true; res.once('drain', () => { blocked = false; pump(); }); return; }
      }
      res.end();
    };
    pump();
  });
  const gw = await startGateway(proxyConfig(up.url));
  t.after(async () => { await gw.close(); await up.close(); });

  const before = liveMemory();
  let peakBuffers = before.arrayBuffers;
  let peakRss = before.rss;
  let stalls = 0;
  let maxInFlight = 0;
  const received = await new Promise<number>((resolve, reject) => {
    http.get(`${gw.url()}/huge`, (res) => {
      let n = 0;
      let nextPause = PAUSE_EVERY;
      res.on('data', (c: Buffer) => {
        n += c.length;
        if (n < nextPause || n >= TOTAL) return;
        nextPause += PAUSE_EVERY;
        // Stop reading until the upstream itself is stopped by backpressure: blocked on
        // drain with no progress between two polls. Then at most the socket buffers on
        // the way may hold what the client has not read.
        res.pause();
        let last = -1;
        waitFor(() => { const stopped = blocked && written === last; last = written; return stopped; }, 10_000, 'the upstream to stop').then(() => {
          stalls++;
          maxInFlight = Math.max(maxInFlight, written - n);
          const m = liveMemory(); // everything is stopped: what is live is what is buffered
          peakBuffers = Math.max(peakBuffers, m.arrayBuffers);
          peakRss = Math.max(peakRss, m.rss);
          res.resume();
        }, reject);
      });
      res.once('end', () => resolve(n));
      res.once('error', reject);
    }).once('error', reject);
  });

  assert.equal(received, TOTAL);
  assert.equal(stalls, Math.floor((TOTAL - 1) / PAUSE_EVERY));
  assert.ok(maxInFlight < 48 * MB, `${(maxInFlight / MB).toFixed(1)} MB written upstream but not read by the client`);
  assert.ok(peakBuffers - before.arrayBuffers < 32 * MB, `array buffers grew ${((peakBuffers - before.arrayBuffers) / MB).toFixed(1)} MB`);
  t.diagnostic(`in flight ≤ ${(maxInFlight / MB).toFixed(1)} MB; buffers +${((peakBuffers - before.arrayBuffers) / MB).toFixed(1)} MB; rss +${((peakRss - before.rss) / MB).toFixed(1)} MB`);
});
