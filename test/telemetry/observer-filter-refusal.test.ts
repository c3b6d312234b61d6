// The request observer on a filter refusal: a request without a key is refused by the
// authenticate phase, reported as a decision (phase, filter name, code), and no upstream
// attempt is made; a key that passes is reported as passed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { proxyConfig, startGateway } from '../helpers/gateway.js';
import { startUpstream } from '../helpers/upstream.js';
import { recordRequest } from './observer-support.js';

const KEY = 'sk-observer-test-key-0123456789';

test('observer: a 401 from the authenticate phase is a refused decision, and nothing goes upstream', { timeout: 30_000 }, async (t) => {
  const up = await startUpstream();
  const refused = recordRequest('observed-401');
  const passed = recordRequest('observed-pass');
  const gw = await startGateway(proxyConfig(up.url, {
    route: '        policies: [keys]\n',
    policies: `policies:\n  keys:\n    apiKey:\n      keys: [{ name: alice, key: ${KEY} }]\n`,
  }), { observers: [refused.observer, passed.observer] });
  t.after(async () => { await gw.close(); await up.close(); });

  const r = await fetch(`${gw.url()}/hello`, { headers: { 'x-request-id': 'observed-401' } });
  assert.equal(r.status, 401);
  await r.text();
  await refused.ended();
  assert.deepEqual(refused.events, [
    'start',
    'decision authenticate authenticate refused AE_UNAUTHENTICATED',
    'firstByte',
    'end 401',
  ]);
  assert.equal(up.received.length, 0);

  const ok = await fetch(`${gw.url()}/hello`, { headers: { 'x-request-id': 'observed-pass', authorization: `Bearer ${KEY}` } });
  assert.equal(ok.status, 200);
  await ok.text();
  await passed.ended();
  assert.equal(passed.events[1], 'decision authenticate authenticate passed');
});
