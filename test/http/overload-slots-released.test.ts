// Every way an exchange can end gives its slot back exactly once: after upstream errors,
// resets, client aborts (before and after the response started), a body over the limit,
// and refusals, an http backend with connections: 2 and no queue still admits exactly two
// requests at once: a burst of two reaches the upstream (no slot leaked) and a third is
// refused (no slot given back twice).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { request } from 'undici';
import { startGateway, proxyConfig } from '../helpers/gateway.js';
import { holdGate } from '../helpers/held-upstream.js';
import { startUpstream, waitFor } from '../helpers/upstream.js';
import { failOnUnhandledRejection, metric } from './support.js';

test('connections: 2, queue 0: after failures, aborts and refusals a burst of 2 is admitted and a third refused', { timeout: 60_000 }, async (t) => {
  failOnUnhandledRejection(t);
  const gate = holdGate();
  let hold = gate.hold;
  let started = 0;
  const up = await startUpstream((req, res) => {
    req.resume();
    switch (req.url) {
      case '/fail': res.writeHead(500); res.end('broken'); return;
      case '/reset': req.socket.destroy(); return;
      case '/partial': started++; res.writeHead(200, { 'content-type': 'text/plain' }); res.write('part'); return; // never ends
      case '/silent': started++; return; // never answers
      default: void hold().then(() => res.end('ok'));
    }
  });
  t.after(async () => { gate.release(); await up.close(); });
  const gw = await startGateway(proxyConfig(up.url, {
    backend: '      connections: 2\n      queue: { size: 0 }',
    route: '        limits: { maxBodyBytes: 1kb }',
  }));
  t.after(() => gw.close());
  const inFlight = () => metric(gw, 'agentedge_requests_in_flight', { listener: 'edge' });

  // An upstream error answer and a reset before any answer.
  const fail = await request(`${gw.url()}/fail`);
  assert.equal(fail.statusCode, 500);
  await fail.body.text();
  const reset = await request(`${gw.url()}/reset`);
  assert.equal(reset.statusCode, 502);
  await reset.body.text();

  // The client leaves mid-response, and before the response started.
  const partial = await request(`${gw.url()}/partial`);
  assert.equal(partial.statusCode, 200);
  partial.body.destroy();
  const ac = new AbortController();
  const silent = request(`${gw.url()}/silent`, { signal: ac.signal }).catch((e: unknown) => e);
  await waitFor(() => started === 2, 10_000, 'the silent request upstream');
  ac.abort();
  await silent;
  await waitFor(async () => await inFlight() === 0, 10_000, 'aborted requests ended');

  // A streamed body over the route's limit: 413, the upstream exchange aborted.
  const big = await request(`${gw.url()}/upload`, { method: 'POST', body: Readable.from([Buffer.alloc(800), Buffer.alloc(800)]) });
  assert.equal(big.statusCode, 413);
  await big.body.text();

  // A refusal takes no slot either.
  const answer = async (path: string) => { const r = await request(`${gw.url()}${path}`); return { status: r.statusCode, body: await r.body.text() }; };
  const held = answer('/held');
  await gate.arrivals(1);
  const extra = [answer('/second'), answer('/third')];
  await gate.arrivals(2);
  assert.equal((await Promise.race(extra)).status, 503);
  gate.release();
  assert.deepEqual((await Promise.all([held, ...extra])).map((a) => a.status).sort(), [200, 200, 503]);
  await waitFor(async () => await inFlight() === 0, 10_000, 'all ended');

  // Now a burst: exactly two reach the upstream at once, a third is refused.
  const gate2 = holdGate();
  hold = gate2.hold;
  const burst = [request(`${gw.url()}/burst`), request(`${gw.url()}/burst`)];
  await gate2.arrivals(2);
  const third = await request(`${gw.url()}/third`);
  assert.equal(third.statusCode, 503, 'the cap still holds: no slot was given back twice');
  await third.body.text();
  gate2.release();
  for (const p of burst) { const r = await p; assert.equal(r.statusCode, 200); assert.equal(await r.body.text(), 'ok'); }
  assert.equal(await metric(gw, 'agentedge_upstream_overloaded_total', { backend: 'up', reason: 'queue_full' }), 2);
});
