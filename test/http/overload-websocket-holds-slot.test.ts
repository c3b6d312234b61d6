// A WebSocket through an http backend holds one of its `connections` for as long as it is
// open: with connections: 1 and no queue, a second upgrade and a plain request are refused
// (503 with retry-after, the upgrade refusal on the raw socket) while it is open, and the
// slot is free again once it closes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import http, { type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { request } from 'undici';
import { WebSocket, WebSocketServer } from 'ws';
import { startGateway, proxyConfig } from '../helpers/gateway.js';
import { waitFor } from '../helpers/upstream.js';
import { metric } from './support.js';

test('connections: 1: an open WebSocket holds the slot until it closes', { timeout: 30_000 }, async (t) => {
  const server = http.createServer((_req, res) => res.end('plain ok'));
  const wss = new WebSocketServer({ server });
  wss.on('connection', (ws) => ws.on('message', (m: Buffer) => ws.send(`echo:${m.toString()}`)));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  t.after(async () => {
    for (const c of wss.clients) c.terminate();
    await new Promise<void>((r) => { server.close(() => r()); server.closeAllConnections(); });
  });
  const gw = await startGateway(proxyConfig(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, { backend: '      connections: 1\n      queue: { size: 0 }' }));
  t.after(() => gw.close());

  const ws = new WebSocket(`ws://127.0.0.1:${gw.port()}/socket`);
  await once(ws, 'open');
  ws.send('ping');
  const [echo] = await once(ws, 'message') as [Buffer];
  assert.equal(echo.toString(), 'echo:ping');

  // While it is open, the backend is at its cap.
  const plain = await request(`${gw.url()}/plain`);
  assert.equal(plain.statusCode, 503);
  assert.equal(plain.headers['retry-after'], '1');
  assert.equal(JSON.parse(await plain.body.text()).error.code, 'AE_UPSTREAM_OVERLOADED');
  const second = new WebSocket(`ws://127.0.0.1:${gw.port()}/socket`);
  second.on('error', () => {});
  const [, refused] = await once(second, 'unexpected-response') as [unknown, IncomingMessage];
  assert.equal(refused.statusCode, 503);
  assert.equal(refused.headers['retry-after'], '1');
  let body = '';
  for await (const c of refused) body += (c as Buffer).toString();
  assert.equal(JSON.parse(body).error.code, 'AE_UPSTREAM_OVERLOADED');
  second.terminate();
  assert.equal(await metric(gw, 'agentedge_upstream_overloaded_total', { backend: 'up', reason: 'queue_full' }), 2);

  // Closed: the slot is free again (the gateway sees the close a moment later, hence the bounded poll).
  ws.close();
  await once(ws, 'close');
  await waitFor(async () => {
    const r = await request(`${gw.url()}/plain`);
    const text = await r.body.text();
    return r.statusCode === 200 && text === 'plain ok';
  }, 10_000, 'the slot freed by the close');
});
