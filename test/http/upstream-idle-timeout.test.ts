// An upstream that stalls mid-stream longer than `timeouts.idle` (RELIABILITY 15): an
// SSE client gets one error event and a clean end, any other client an aborted
// response; either way the upstream connection is closed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'undici';
import { startGateway, proxyConfig } from '../helpers/gateway.js';
import { startUpstream } from '../helpers/upstream.js';
import { signal } from './support.js';

for (const kind of ['sse', 'chunked'] as const) {
  test(`upstream stalls mid-stream (${kind}) → ${kind === 'sse' ? 'error event' : 'abort'} and upstream closed`, { timeout: 30_000 }, async (t) => {
    const upstreamClosed = signal();
    const up = await startUpstream((_req, res) => {
      res.writeHead(200, { 'content-type': kind === 'sse' ? 'text/event-stream' : 'application/octet-stream' });
      res.write(kind === 'sse' ? 'data: first\n\n' : 'first');
      res.once('close', () => upstreamClosed.resolve()); // then silence
    });
    const gw = await startGateway(proxyConfig(up.url, { backend: '      timeouts: { idle: 300ms }' }));
    t.after(async () => { await gw.close(); await up.close(); });

    const res = await request(`${gw.url()}/stream`);
    if (kind === 'sse') {
      const text = await res.body.text();
      assert.ok(text.startsWith('data: first\n\nevent: error\ndata: '), text);
      assert.equal(text.split('event: error').length, 2);
      const data = JSON.parse(text.split('\n')[3]!.slice(6)) as { error: { code: string } };
      assert.equal(data.error.code, 'AE_UPSTREAM_TIMEOUT');
    } else {
      await assert.rejects(res.body.text());
    }
    await upstreamClosed.wait();
  });
}
