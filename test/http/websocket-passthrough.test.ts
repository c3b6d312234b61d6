// A WebSocket upgrade passes through: the handshake reaches a `ws` server upstream with
// the gateway's forwarding headers, messages flow both ways, and a close from either
// side reaches the other with its code.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import type { IncomingHttpHeaders } from 'node:http';
import { WebSocket, WebSocketServer } from 'ws';
import { startGateway, proxyConfig } from '../helpers/gateway.js';
import { waitFor } from '../helpers/upstream.js';
import { signal } from './support.js';

async function startWsUpstream(onConnection: (ws: WebSocket, headers: IncomingHttpHeaders) => void): Promise<{ url: string; close(): Promise<void> }> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await once(wss, 'listening');
  wss.on('connection', (ws, req) => onConnection(ws, req.headers));
  return {
    url: `http://127.0.0.1:${(wss.address() as AddressInfo).port}`,
    close: () => new Promise<void>((r) => { for (const c of wss.clients) c.terminate(); wss.close(() => r()); }),
  };
}

test('messages both ways; a client close reaches the upstream', { timeout: 30_000 }, async (t) => {
  const upstreamClose = signal<{ code: number; reason: string }>('the upstream close');
  let handshake: IncomingHttpHeaders = {};
  const up = await startWsUpstream((ws, headers) => {
    handshake = headers;
    ws.send('hello from upstream');
    ws.on('message', (m: Buffer) => ws.send(`echo:${m.toString()}`));
    ws.on('close', (code, reason) => upstreamClose.resolve({ code, reason: reason.toString() }));
  });
  const gw = await startGateway(proxyConfig(up.url));
  t.after(async () => { await gw.close(); await up.close(); });

  const ws = new WebSocket(`ws://127.0.0.1:${gw.port()}/socket`, { headers: { 'x-request-id': 'ws-1' } });
  const messages: string[] = [];
  ws.on('message', (m: Buffer) => messages.push(m.toString()));
  let echoedId: unknown;
  ws.once('upgrade', (res: { headers: IncomingHttpHeaders }) => { echoedId = res.headers['x-request-id']; });
  await once(ws, 'open');
  assert.equal(echoedId, 'ws-1');
  ws.send('ping');
  await waitFor(() => messages.length === 2, 5000, 'two messages');
  assert.deepEqual(messages, ['hello from upstream', 'echo:ping']);
  assert.equal(handshake['x-forwarded-for'], '127.0.0.1');
  assert.equal(handshake['x-request-id'], 'ws-1');

  const clientClosed = once(ws, 'close');
  ws.close(4001, 'bye');
  assert.deepEqual(await upstreamClose.wait(), { code: 4001, reason: 'bye' });
  const [code] = await clientClosed as [number];
  assert.equal(code, 4001);
});

test('an upstream close reaches the client', { timeout: 30_000 }, async (t) => {
  const up = await startWsUpstream((ws) => ws.on('message', () => ws.close(4002, 'server done')));
  const gw = await startGateway(proxyConfig(up.url));
  t.after(async () => { await gw.close(); await up.close(); });

  const ws = new WebSocket(`ws://127.0.0.1:${gw.port()}/socket`);
  await once(ws, 'open');
  ws.send('bye please');
  const [code, reason] = await once(ws, 'close') as [number, Buffer];
  assert.equal(code, 4002);
  assert.equal(reason.toString(), 'server done');
});
