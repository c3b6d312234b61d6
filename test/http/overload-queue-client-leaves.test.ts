// A client that leaves while its request waits in an http backend's queue frees its place
// at once: the request is never sent upstream, and the next request takes the place (with
// a queue of one, a place still taken would make it a 503 queue_full).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { request } from 'undici';
import { startGateway, proxyConfig } from '../helpers/gateway.js';
import { holdGate } from '../helpers/held-upstream.js';
import { startUpstream, waitFor } from '../helpers/upstream.js';
import { accessLine, failOnUnhandledRejection, metric } from './support.js';

test('connections: 1, queue of 1: a waiting client leaves → its place is free, nothing reached the upstream', { timeout: 30_000 }, async (t) => {
  failOnUnhandledRejection(t);
  const gate = holdGate();
  const urls: string[] = [];
  const up = await startUpstream((req, res) => { urls.push(req.url!); void gate.hold().then(() => res.end(`done ${req.url}`)); });
  t.after(async () => { gate.release(); await up.close(); });
  const gw = await startGateway(proxyConfig(up.url, { backend: '      connections: 1\n      queue: { size: 1, timeout: 0 }' }));
  t.after(() => gw.close());

  const held = request(`${gw.url()}/held`);
  await gate.arrivals(1);

  const ac = new AbortController();
  const leaver = request(`${gw.url()}/leaver`, { signal: ac.signal, headers: { 'x-request-id': 'leaver-1' } }).catch((e: unknown) => e);
  await queued(1);
  ac.abort();
  assert.ok((await leaver) instanceof Error);
  await queued(0);
  const log = await accessLine(gw, 'leaver-1');
  assert.equal(log.status, 499, JSON.stringify(log));

  // Its place is free: the next request waits there (not refused) and is served after the held one.
  const next = request(`${gw.url()}/next`);
  await queued(1);
  gate.release();
  for (const [p, body] of [[held, 'done /held'], [next, 'done /next']] as const) {
    const r = await p;
    assert.equal(r.statusCode, 200);
    assert.equal(await r.body.text(), body);
  }
  assert.deepEqual(urls, ['/held', '/next'], 'the request whose client left never reached the upstream');
  assert.equal(await metric(gw, 'agentedge_upstream_overloaded_total', { backend: 'up', reason: 'queue_full' }), 0);

  function queued(n: number): Promise<void> {
    return waitFor(async () => await metric(gw, 'agentedge_upstream_queue_waiting', { backend: 'up' }) === n, 10_000, `${n} waiting in the queue`);
  }
});

test('a client that resets mid-upload while its request waits: the queue place is freed, the gateway carries on', { timeout: 30_000 }, async (t) => {
  failOnUnhandledRejection(t);
  const gate = holdGate();
  const urls: string[] = [];
  const up = await startUpstream((req, res) => { urls.push(req.url!); req.resume(); void gate.hold().then(() => res.end(`done ${req.url}`)); });
  t.after(async () => { gate.release(); await up.close(); });
  const gw = await startGateway(proxyConfig(up.url, { backend: '      connections: 1\n      queue: { size: 1, timeout: 0 }' }));
  t.after(() => gw.close());
  const queued = (n: number) => waitFor(async () => await metric(gw, 'agentedge_upstream_queue_waiting', { backend: 'up' }) === n, 10_000, `${n} waiting in the queue`);

  const held = request(`${gw.url()}/held`);
  await gate.arrivals(1);
  // A chunked upload (streamed to the upstream, not buffered) that stops half-way, then resets.
  const socket = net.connect(gw.port(), '127.0.0.1');
  socket.on('error', () => {});
  socket.write('POST /upload HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\n\r\n5\r\nhello\r\n');
  await queued(1);
  socket.resetAndDestroy();
  await queued(0);

  const next = request(`${gw.url()}/next`);
  await queued(1);
  gate.release();
  for (const [p, body] of [[held, 'done /held'], [next, 'done /next']] as const) {
    const r = await p;
    assert.equal(r.statusCode, 200);
    assert.equal(await r.body.text(), body);
  }
  assert.deepEqual(urls, ['/held', '/next']);
});
