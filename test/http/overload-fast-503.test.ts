// RELIABILITY 20: over an http backend's concurrency cap (connections) and its queue, a
// request gets a 503 AE_UPSTREAM_OVERLOADED with retry-after at once, while the requests
// in flight are still held upstream; nothing more reaches the upstream; another backend
// on the same gateway answers normally; the refusals are counted in metrics.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'undici';
import { startGateway } from '../helpers/gateway.js';
import { holdGate } from '../helpers/held-upstream.js';
import { startUpstream, waitFor } from '../helpers/upstream.js';
import { metric } from './support.js';

test('connections: 2 → 2 held upstream, the other 8 of 10 get a fast 503 with retry-after; another backend unaffected', { timeout: 60_000 }, async (t) => {
  const gate = holdGate();
  const slow = await startUpstream((_req, res) => {
    void gate.hold().then(() => { res.writeHead(200, { 'content-type': 'text/plain' }); res.end('slow done'); });
  });
  const other = await startUpstream();
  t.after(async () => { gate.release(); await slow.close(); await other.close(); });
  const gw = await startGateway(`gateway:
  admin: { host: 127.0.0.1, port: 0 }
listeners:
  - name: edge
    port: 0
    routes:
      - { name: slow, match: { path: /slow }, backend: slow }
      - { name: other, match: { path: /other }, backend: other }
backends:
  slow:
    http:
      url: ${slow.url}
      connections: 2
      queue: { size: 2, timeout: 200ms }
  other:
    http: { url: ${other.url} }
`);
  t.after(() => gw.close());

  const answers: { status: number; retryAfter: unknown; body: string }[] = [];
  const all = Array.from({ length: 10 }, async () => {
    const r = await request(`${gw.url()}/slow`);
    const a = { status: r.statusCode, retryAfter: r.headers['retry-after'], body: await r.body.text() };
    answers.push(a);
    return a;
  });

  // Eight answers come while two requests are still held upstream.
  await waitFor(() => answers.length >= 8, 20_000, '8 answers');
  await gate.arrivals(2);
  assert.equal(answers.length, 8, 'the two held requests are not answered yet');
  assert.equal(gate.arrived, 2, 'refused requests never reached the upstream');
  for (const a of answers) {
    assert.equal(a.status, 503);
    assert.equal(a.retryAfter, '1');
    const e = JSON.parse(a.body).error;
    assert.equal(e.code, 'AE_UPSTREAM_OVERLOADED');
    assert.equal(e.type, 'overloaded_error');
    assert.ok(!a.body.includes('127.0.0.1'), 'no upstream address in the body');
  }

  // Another backend on the same gateway is not affected.
  const o = await request(`${gw.url()}/other/x`);
  assert.equal(o.statusCode, 200);
  await o.body.text();

  // Counted by reason: at least the two that waited in the queue timed out; the rest found it full.
  const full = await metric(gw, 'agentedge_upstream_overloaded_total', { backend: 'slow', target: 'slow', reason: 'queue_full' });
  const timedOut = await metric(gw, 'agentedge_upstream_overloaded_total', { backend: 'slow', target: 'slow', reason: 'queue_timeout' });
  assert.equal(full + timedOut, 8);
  assert.ok(timedOut >= 2, `queue_timeout ${timedOut}`);

  gate.release();
  const done = await Promise.all(all);
  assert.deepEqual(done.map((a) => a.status).sort(), [200, 200, 503, 503, 503, 503, 503, 503, 503, 503]);
  assert.deepEqual(done.filter((a) => a.status === 200).map((a) => a.body), ['slow done', 'slow done']);
  assert.equal(gate.arrived, 2);
});
