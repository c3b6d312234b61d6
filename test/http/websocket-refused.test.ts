// An upgrade the upstream refuses ends cleanly for the client, never as a hang: the
// upstream's own refusal (401) is relayed; an upstream that is down or drops the
// handshake gives a 502 in the gateway's JSON shape.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import type { IncomingMessage } from 'node:http';
import { WebSocket, WebSocketServer } from 'ws';
import { startGateway, proxyConfig } from '../helpers/gateway.js';
import { startRawUpstream } from '../helpers/upstream.js';
import { closedPort } from './support.js';

/** Opens a WebSocket through the gateway and returns the refusal's status and body. */
async function refused(url: string): Promise<{ status: number; body: string }> {
  const ws = new WebSocket(url);
  ws.on('error', () => {});
  const [, res] = await once(ws, 'unexpected-response') as [unknown, IncomingMessage];
  let body = '';
  for await (const c of res) body += (c as Buffer).toString();
  ws.terminate();
  return { status: res.statusCode!, body };
}

test('the upstream refuses the upgrade → its answer reaches the client', { timeout: 30_000 }, async (t) => {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, verifyClient: (_info, cb) => cb(false, 401, 'no entry') });
  await once(wss, 'listening');
  const gw = await startGateway(proxyConfig(`http://127.0.0.1:${(wss.address() as AddressInfo).port}`));
  t.after(async () => { await gw.close(); await new Promise<void>((r) => wss.close(() => r())); });

  const { status } = await refused(`ws://127.0.0.1:${gw.port()}/socket`);
  assert.equal(status, 401);
});

test('upstream down → 502 AE_UPSTREAM_UNAVAILABLE', { timeout: 30_000 }, async (t) => {
  const gw = await startGateway(proxyConfig(`http://127.0.0.1:${await closedPort()}`));
  t.after(() => gw.close());
  const { status, body } = await refused(`ws://127.0.0.1:${gw.port()}/socket`);
  assert.equal(status, 502);
  assert.equal(JSON.parse(body).error.code, 'AE_UPSTREAM_UNAVAILABLE');
});

test('upstream drops the handshake → 502', { timeout: 30_000 }, async (t) => {
  const up = await startRawUpstream((socket) => socket.once('data', () => socket.destroy()));
  const gw = await startGateway(proxyConfig(up.url));
  t.after(async () => { await gw.close(); await up.close(); });
  const { status } = await refused(`ws://127.0.0.1:${gw.port()}/socket`);
  assert.equal(status, 502);
});
