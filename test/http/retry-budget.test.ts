// Retries stay within a budget (RELIABILITY 19): with an upstream that refuses every
// connection and `retries: 5`, twenty requests make far fewer than 100 retries — the
// token bucket allows a burst of 10 plus 0.2 per request.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'undici';
import { RetryBudget } from '../../src/core/upstream.js';
import { startGateway, proxyConfig } from '../helpers/gateway.js';
import { closedPort, metric } from './support.js';

test('RetryBudget: a burst of 10, then 1 retry per 5 requests', () => {
  const b = new RetryBudget();
  let granted = 0;
  for (let i = 0; i < 20; i++) if (b.withdraw()) granted++;
  assert.equal(granted, 10);
  for (let i = 0; i < 5; i++) b.deposit();
  assert.equal(b.withdraw(), true);
  assert.equal(b.withdraw(), false);
});

test('a refusing upstream gets retries within the budget', { timeout: 30_000 }, async (t) => {
  const gw = await startGateway(proxyConfig(`http://127.0.0.1:${await closedPort()}`, { backend: '      retries: 5' }));
  t.after(() => gw.close());
  for (let i = 0; i < 20; i++) {
    const res = await request(`${gw.url()}/r`);
    await res.body.text();
    assert.equal(res.statusCode, 502);
  }
  const retries = await metric(gw, 'agentedge_upstream_retries_total', { backend: 'up' });
  assert.ok(retries >= 5, `${retries} retries: the first request still gets its 5`);
  assert.ok(retries <= 10 + 20 * 0.2, `${retries} retries is over the budget`);
});
