// The request observer on an http (reverse proxy) call: start, the one attempt (target: the
// upstream origin) with the upstream's status, the first byte, the end, in that order.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { proxyConfig, startGateway } from '../helpers/gateway.js';
import { startUpstream } from '../helpers/upstream.js';
import { recordRequest } from './observer-support.js';

test('observer: an http call reports start, one attempt, first byte, end', { timeout: 30_000 }, async (t) => {
  const up = await startUpstream();
  const rec = recordRequest('observed-http');
  const gw = await startGateway(proxyConfig(up.url), { observers: [rec.observer] });
  t.after(async () => { await gw.close(); await up.close(); });

  const r = await fetch(`${gw.url()}/hello`, { headers: { 'x-request-id': 'observed-http' } });
  assert.equal(r.status, 200);
  await r.text();
  await rec.ended();
  assert.deepEqual(rec.events, [
    'start',
    `attemptStart 1 ${up.url}`,
    'attemptEnd 1 200 -',
    'firstByte',
    'end 200',
  ]);
});

test('observer: an http upstream that refuses the connection ends its attempt with the error code', { timeout: 30_000 }, async (t) => {
  const up = await startUpstream();
  const url = up.url;
  await up.close();
  const rec = recordRequest('observed-refused');
  const gw = await startGateway(proxyConfig(url, { backend: '      retries: 0\n' }), { observers: [rec.observer] });
  t.after(() => gw.close());

  const r = await fetch(`${gw.url()}/hello`, { headers: { 'x-request-id': 'observed-refused' } });
  assert.equal(r.status, 502);
  await r.text();
  await rec.ended();
  assert.deepEqual(rec.events, [
    'start',
    `attemptStart 1 ${url}`,
    'attemptEnd 1 0 AE_UPSTREAM_UNAVAILABLE',
    'firstByte',
    'end 502',
  ]);
});
