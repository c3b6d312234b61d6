// A client that never reads a huge streamed response (RELIABILITY 3): the upstream is
// paused by backpressure (it cannot write more than the socket buffers hold), gateway
// memory stays far below the body size, and the listener's `limits.idleTimeout` closes
// the client, which closes the upstream too.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { startGateway, proxyConfig } from '../helpers/gateway.js';
import { startUpstream, waitFor } from '../helpers/upstream.js';
import { signal } from './support.js';

const MB = 1024 * 1024;
const TOTAL = 200 * MB;

test('never-reading client: upstream paused, memory bounded, both sides closed by the idle timeout', { timeout: 30_000 }, async (t) => {
  const chunk = Buffer.alloc(64 * 1024, 0x61);
  let written = 0;
  let blocked = false;
  let onUpstreamClose = (): void => {};
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
    res.once('close', () => onUpstreamClose());
  });
  const gw = await startGateway(proxyConfig(up.url, { listener: '    limits: { idleTimeout: 1s }' }));
  t.after(async () => { await gw.close(); await up.close(); });

  const before = process.memoryUsage();
  let peakRss = before.rss;
  let peakBuffers = before.arrayBuffers;
  const sample = () => {
    const m = process.memoryUsage();
    peakRss = Math.max(peakRss, m.rss);
    peakBuffers = Math.max(peakBuffers, m.arrayBuffers);
  };

  const clientClosed = signal('the client socket to close');
  const client = net.connect(gw.port(), '127.0.0.1', () => {
    client.write('GET /huge HTTP/1.1\r\nhost: test\r\n\r\n');
    client.pause(); // never read: the kernel buffers fill, then TCP stops the gateway
  });
  client.on('error', () => {});
  client.once('close', () => clientClosed.resolve());

  // The upstream blocks on backpressure; sample memory until the idle timeout ends it all.
  const upstreamClosed = signal('the upstream to be closed by the idle timeout');
  onUpstreamClose = () => upstreamClosed.resolve();
  await waitFor(() => { sample(); return upstreamClosed.fired; }, 20_000, 'the upstream to be closed by the idle timeout');
  // A paused socket sees its end only once it reads again.
  client.resume();
  await clientClosed.wait();

  assert.ok(blocked, 'the upstream was waiting for drain when it was closed');
  assert.ok(written < TOTAL / 4, `upstream wrote ${(written / MB).toFixed(1)} MB of ${TOTAL / MB} MB`);
  assert.ok(peakBuffers - before.arrayBuffers < 48 * MB, `array buffers grew ${((peakBuffers - before.arrayBuffers) / MB).toFixed(1)} MB`);
  assert.ok(peakRss - before.rss < 96 * MB, `rss grew ${((peakRss - before.rss) / MB).toFixed(1)} MB`);
  t.diagnostic(`upstream wrote ${(written / MB).toFixed(1)} MB; buffers +${((peakBuffers - before.arrayBuffers) / MB).toFixed(1)} MB; rss +${((peakRss - before.rss) / MB).toFixed(1)} MB`);
});
