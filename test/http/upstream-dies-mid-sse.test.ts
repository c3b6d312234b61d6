// An upstream that dies in the middle of an event stream (RELIABILITY 12): the client
// gets every complete event, then exactly one `event: error` with a JSON data line, then
// a clean end. Also when the upstream died inside an event: the partial event is dropped,
// never glued to the error event.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'undici';
import { startGateway, proxyConfig } from '../helpers/gateway.js';
import { startUpstream } from '../helpers/upstream.js';
import { metric } from './support.js';

function parseEvents(text: string): { event?: string; data: string }[] {
  return text.split('\n\n').filter((b) => b.trim() !== '').map((block) => {
    const e: { event?: string; data: string } = { data: '' };
    for (const line of block.split('\n')) {
      if (line.startsWith('event: ')) e.event = line.slice(7);
      else if (line.startsWith('data: ')) e.data += line.slice(6);
    }
    return e;
  });
}

for (const tail of ['', 'data: {"partial":']) {
  test(`upstream dies mid-SSE${tail ? ' inside an event' : ''} → events so far, one error event, clean end`, { timeout: 30_000 }, async (t) => {
    const up = await startUpstream((req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('data: {"n":1}\n\n');
      res.write('data: {"n":2}\n\n' + tail, () => req.socket.destroy());
    });
    const gw = await startGateway(proxyConfig(up.url));
    t.after(async () => { await gw.close(); await up.close(); });

    const res = await request(`${gw.url()}/events`);
    assert.equal(res.statusCode, 200);
    const text = await res.body.text(); // resolves: the stream ended cleanly
    assert.ok(text.endsWith('\n\n'), JSON.stringify(text));
    const events = parseEvents(text);
    assert.deepEqual(events.slice(0, 2), [{ data: '{"n":1}' }, { data: '{"n":2}' }]);
    assert.equal(events.length, 3, JSON.stringify(text));
    assert.equal(events.filter((e) => e.event === 'error').length, 1);
    const err = JSON.parse(events[2]!.data) as { error: { code: string; message: string } };
    assert.equal(err.error.code, 'AE_UPSTREAM_STREAM_ABORTED');
    assert.equal(await metric(gw, 'agentedge_upstream_errors_total', { backend: 'up', code: 'AE_UPSTREAM_STREAM_ABORTED' }), 1);
  });
}
