// A reload whose new port is taken fails cleanly: nothing of it applies (not the listener
// it would also add, not its new route), every socket it bound is closed again, the
// failure is counted and logged, and the old config keeps serving.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { request } from 'undici';
import { startGateway } from '../helpers/gateway.js';
import { startUpstream, waitFor } from '../helpers/upstream.js';
import { metricValue } from './support.js';

const listeningSockets = () => process.getActiveResourcesInfo().filter((r) => r === 'TCPServerWrap').length;

test('a reload to a taken port changes nothing', async (t) => {
  const up = await startUpstream();
  const squatter = net.createServer();
  await new Promise<void>((r) => squatter.listen(0, '127.0.0.1', () => r()));
  const taken = (squatter.address() as net.AddressInfo).port;
  const yaml = (edgePort: number, extra: string) => `gateway:
  admin: { host: 127.0.0.1, port: 0 }
listeners:
${extra}  - name: edge
    port: ${edgePort}
    routes:
      - { name: a, match: { path: /a }, backend: up }
${extra ? '      - { name: b, match: { path: /b }, backend: up }\n' : ''}backends:
  up:
    http: { url: "${up.url}" }
`;
  const original = yaml(0, '');
  const gw = await startGateway(original);
  t.after(async () => { await gw.close(); await up.close(); await new Promise<void>((r) => squatter.close(() => r())); });
  const before = listeningSockets();
  const port = gw.port();

  // A new listener listed first (it binds), then the move to the taken port (it fails).
  gw.writeConfig(yaml(taken, '  - name: second\n    port: 0\n    routes:\n      - { name: s, match: { path: / }, backend: up }\n'));
  const r = await gw.gw.reload();
  assert.equal(r.ok, false);
  assert.match(r.error ?? '', /EADDRINUSE/);

  assert.deepEqual(gw.gw.listenerNames(), ['edge']);
  assert.equal(gw.port(), port);
  assert.equal(gw.gw.config.text, original);
  // Handles leave the resource list once libuv has run their close callbacks.
  await waitFor(() => listeningSockets() === before, 5000, 'the socket bound for "second" to be closed again');
  const a = await request(`${gw.url()}/a`);
  assert.equal(a.statusCode, 200);
  await a.body.dump();
  const b = await request(`${gw.url()}/b`);
  assert.equal(b.statusCode, 404, 'the new route did not apply');
  await b.body.dump();

  const metrics = await (await request(`${gw.adminUrl()}/metrics`)).body.text();
  assert.equal(metricValue(metrics, 'agentedge_config_reloads_total', { result: 'failed' }), 1);
  assert.equal(metricValue(metrics, 'agentedge_config_last_reload_success'), 0);
  assert.ok(gw.logs.some((l) => typeof l.msg === 'string' && l.msg.startsWith('config reload failed') && l.msg.includes('EADDRINUSE')));
});
