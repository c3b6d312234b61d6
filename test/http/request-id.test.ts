// x-request-id: a sane client-sent id is kept, forwarded and echoed; an insane one (too
// long, bad characters, repeated) is replaced; every response carries the id the
// upstream saw.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'undici';
import { startGateway, proxyConfig } from '../helpers/gateway.js';
import { startUpstream } from '../helpers/upstream.js';

test('x-request-id kept when sane, replaced when not, always echoed', { timeout: 30_000 }, async (t) => {
  const up = await startUpstream();
  const gw = await startGateway(proxyConfig(up.url));
  t.after(async () => { await gw.close(); await up.close(); });

  const send = async (id?: string | string[]) => {
    const res = await request(`${gw.url()}/r`, { headers: id === undefined ? {} : { 'x-request-id': id } });
    await res.body.text();
    return { echoed: res.headers['x-request-id'] as string, seen: up.received.at(-1)!.headers['x-request-id'] as string };
  };

  const sane = await send('client-id_1.2:3');
  assert.deepEqual(sane, { echoed: 'client-id_1.2:3', seen: 'client-id_1.2:3' });

  for (const insane of ['x'.repeat(300), 'has space', 'semi;colon', '<script>', ['a', 'b']]) {
    const r = await send(insane);
    assert.notEqual(r.echoed, insane);
    assert.match(r.echoed, /^[0-9a-f]{12}-[0-9a-z]+$/, `replacement for ${JSON.stringify(insane)}`);
    assert.equal(r.seen, r.echoed);
  }

  const none = await send();
  assert.match(none.echoed, /^[0-9a-f]{12}-[0-9a-z]+$/);
  assert.equal(none.seen, none.echoed);
});
