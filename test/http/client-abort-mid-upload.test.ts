// A client that disconnects in the middle of a streamed (chunked) upload aborts the
// upstream request: the upstream sees its request end without completing, and it is not
// counted as an upstream error.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { startGateway, proxyConfig } from '../helpers/gateway.js';
import { startUpstream } from '../helpers/upstream.js';
import { accessLine, failOnUnhandledRejection, metric, signal } from './support.js';

test('client disconnect mid-upload aborts the upstream request', { timeout: 30_000 }, async (t) => {
  failOnUnhandledRejection(t);
  const upstreamGotData = signal('upstream data');
  const upstreamAborted = signal('the upstream request to be aborted');
  let completed = false;
  const up = await startUpstream((req) => {
    req.on('data', () => upstreamGotData.resolve());
    req.on('end', () => { completed = true; });
    req.once('close', () => { if (!completed) upstreamAborted.resolve(); });
  });
  const gw = await startGateway(proxyConfig(up.url));
  t.after(async () => { await gw.close(); await up.close(); });

  const client = net.connect(gw.port(), '127.0.0.1');
  client.on('error', () => {});
  const chunk = 'x'.repeat(100_000);
  client.write(`POST /upload HTTP/1.1\r\nhost: t\r\nx-request-id: abort-upload\r\ntransfer-encoding: chunked\r\n\r\n${chunk.length.toString(16)}\r\n${chunk}\r\n`);
  await upstreamGotData.wait();
  client.destroy();

  await upstreamAborted.wait();
  assert.equal(completed, false);
  // The listener may log this as a client abort (499) or as a truncated body (400).
  const line = await accessLine(gw, 'abort-upload');
  assert.ok(line.status === 499 || line.status === 400, `status ${line.status}`);
  assert.equal(await metric(gw, 'agentedge_upstream_errors_total', { backend: 'up' }), 0);
});
