// The credential a caller authenticated with at the gateway never reaches an http backend
// (RELIABILITY 26, confused deputy): not the header the key came in, not a copy of it in
// another credential header, not a verified JWT, and not on a WebSocket upgrade either.
// Headers that played no part in the gateway's authentication pass as they came (a route
// without an auth policy is a plain reverse proxy), and a backend with `passthrough: true`
// forwards the credential on purpose (an upstream that verifies the JWT itself).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import type { IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignJWT, exportJWK, generateKeyPair } from 'jose';
import { WebSocket, WebSocketServer } from 'ws';
import { startGateway } from '../helpers/gateway.js';
import { startUpstream } from '../helpers/upstream.js';

const GATEWAY_KEY = 'gw-key-0123456789abcdef';
const OTHER_KEY = 'gw-key-second-0123456789';
const ISS = 'https://idp.test';

const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
const jwks = { keys: [{ ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' }] };
const jwt = await new SignJWT({ sub: 'carol' }).setProtectedHeader({ alg: 'ES256', kid: 'k1' })
  .setIssuer(ISS).setAudience('agentedge').setExpirationTime('5m').sign(privateKey);

function config(upstream: string, wsUpstream: string): string {
  return `gateway:
  admin: { host: 127.0.0.1, port: 0 }
listeners:
  - name: edge
    port: 0
    routes:
      - { name: keyed, match: { path: /keyed }, policies: [keys], backend: up }
      - { name: sso, match: { path: /sso }, policies: [sso], backend: up }
      - { name: sso-passthrough, match: { path: /verifies-itself }, policies: [sso], backend: up-passthrough }
      - { name: ws, match: { path: /ws }, policies: [keys], backend: ws }
      - { name: open, match: { path: /open }, backend: up }
backends:
  up:
    http: { url: ${upstream} }
  up-passthrough:
    http: { url: ${upstream}, passthrough: true }
  ws:
    http: { url: ${wsUpstream} }
policies:
  keys:
    apiKey:
      stored: false
      keys:
        - { name: a, key: ${GATEWAY_KEY} }
        - { name: b, key: ${OTHER_KEY} }
  sso:
    jwt: { issuer: ${ISS}, audiences: [agentedge], jwks: ${JSON.stringify(jwks)} }
`;
}

async function startWsUpstream(): Promise<{ url: string; handshakes: IncomingHttpHeaders[]; close(): Promise<void> }> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await once(wss, 'listening');
  const handshakes: IncomingHttpHeaders[] = [];
  wss.on('connection', (ws, req) => { handshakes.push(req.headers); ws.send('hi'); });
  return {
    url: `http://127.0.0.1:${(wss.address() as AddressInfo).port}`,
    handshakes,
    close: () => new Promise<void>((r) => { for (const c of wss.clients) c.terminate(); wss.close(() => r()); }),
  };
}

test('the gateway credential is withheld from http upstreams, requests and upgrades alike', { timeout: 30_000 }, async (t) => {
  const up = await startUpstream();
  const wsUp = await startWsUpstream();
  const gw = await startGateway(config(up.url, wsUp.url));
  t.after(async () => { await gw.close(); await up.close(); await wsUp.close(); });
  const get = async (path: string, headers: Record<string, string>): Promise<IncomingHttpHeaders> => {
    const before = up.received.length;
    const r = await fetch(`${gw.url()}${path}`, { headers });
    assert.equal(r.status, 200, `${path} answered ${r.status}`);
    await r.arrayBuffer();
    assert.equal(up.received.length, before + 1);
    return up.received.at(-1)!.headers;
  };

  // An API key in each header it is accepted from.
  for (const header of ['authorization', 'x-api-key', 'api-key']) {
    const value = header === 'authorization' ? `Bearer ${GATEWAY_KEY}` : GATEWAY_KEY;
    const h = await get('/keyed/a', { [header]: value, 'x-trace': 'kept' });
    assert.equal(h[header], undefined, `${header} carried the gateway key and must not be forwarded`);
    assert.equal(h['x-trace'], 'kept');
  }

  // The same key sent twice (Authorization and x-api-key, as some clients do): neither copy leaves.
  let h = await get('/keyed/b', { authorization: `Bearer ${GATEWAY_KEY}`, 'x-api-key': GATEWAY_KEY, 'api-key': GATEWAY_KEY });
  assert.equal(h.authorization, undefined);
  assert.equal(h['x-api-key'], undefined);
  assert.equal(h['api-key'], undefined);

  // A header with another value took no part in the gateway's authentication: it passes.
  h = await get('/keyed/c', { 'x-api-key': GATEWAY_KEY, authorization: 'Basic dXNlcjpwYXNz' });
  assert.equal(h['x-api-key'], undefined);
  assert.equal(h.authorization, 'Basic dXNlcjpwYXNz');

  // A verified JWT is the gateway's credential too.
  h = await get('/sso/d', { authorization: `Bearer ${jwt}` });
  assert.equal(h.authorization, undefined);

  // passthrough: true forwards it, for an upstream that verifies the token itself.
  h = await get('/verifies-itself/e', { authorization: `Bearer ${jwt}` });
  assert.equal(h.authorization, `Bearer ${jwt}`);

  // No auth policy on the route: the http backend is a plain reverse proxy.
  h = await get('/open/f', { authorization: 'Bearer upstream-own-token', 'x-api-key': 'upstream-own-key' });
  assert.equal(h.authorization, 'Bearer upstream-own-token');
  assert.equal(h['x-api-key'], 'upstream-own-key');

  // A WebSocket upgrade authenticated with the key: the handshake upstream carries none of it.
  const ws = new WebSocket(`ws://127.0.0.1:${gw.port()}/ws/socket`, { headers: { authorization: `Bearer ${GATEWAY_KEY}`, 'x-api-key': GATEWAY_KEY } });
  const [first] = await once(ws, 'message') as [Buffer];
  assert.equal(first.toString(), 'hi');
  ws.close();
  assert.equal(wsUp.handshakes.length, 1);
  assert.equal(wsUp.handshakes[0]!.authorization, undefined);
  assert.equal(wsUp.handshakes[0]!['x-api-key'], undefined);

  assert.ok(!JSON.stringify(up.received.filter((r) => !r.url.startsWith('/verifies-itself')).map((r) => r.headers)).includes(GATEWAY_KEY));
});
