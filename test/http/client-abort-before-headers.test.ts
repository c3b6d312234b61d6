// A client that leaves before the upstream answered aborts the upstream too
// (RELIABILITY 11): the upstream's socket closes, nothing is sent to the client or
// upstream afterwards, and no promise rejection goes unhandled.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type net from 'node:net';
import { startGateway, proxyConfig } from '../helpers/gateway.js';
import { startRawUpstream } from '../helpers/upstream.js';
import { accessLine, failOnUnhandledRejection, signal } from './support.js';

test('client abort before upstream headers aborts the upstream request', { timeout: 30_000 }, async (t) => {
  failOnUnhandledRejection(t);
  const requestSeen = signal<net.Socket>();
  const upstreamClosed = signal();
  let received = '';
  const up = await startRawUpstream((socket) => {
    socket.on('data', (c: Buffer) => {
      received += c.toString('latin1');
      if (received.includes('\r\n\r\n')) requestSeen.resolve(socket);
    });
    socket.once('close', () => upstreamClosed.resolve());
  });
  const gw = await startGateway(proxyConfig(up.url));
  t.after(async () => { await gw.close(); await up.close(); });

  const responses: number[] = [];
  const req = http.get(`${gw.url()}/slow`, { headers: { 'x-request-id': 'abort-early' } }, (res) => responses.push(res.statusCode!));
  req.on('error', () => {});
  await requestSeen.wait();
  req.destroy();

  await upstreamClosed.wait();
  const line = await accessLine(gw, 'abort-early');
  assert.equal(line.status, 499);
  assert.equal(line.aborted, true);
  assert.equal(line.bytesOut, 0);
  assert.deepEqual(responses, [], 'no response reached the client');
  assert.equal((received.match(/ HTTP\/1\.1\r\n/g) ?? []).length, 1, 'exactly one request reached the upstream');
});
