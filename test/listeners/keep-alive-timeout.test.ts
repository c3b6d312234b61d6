// A keep-alive connection left idle after a response is closed by the server after
// keepAliveTimeout; until then it serves further requests.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startGateway, proxyConfig } from '../helpers/gateway.js';
import { startUpstream, waitFor } from '../helpers/upstream.js';
import { RawClient, parseResponse } from './support.js';

test('an idle keep-alive connection is closed after keepAliveTimeout', async (t) => {
  const up = await startUpstream();
  const gw = await startGateway(proxyConfig(up.url, { listener: '    limits: { keepAliveTimeout: 200ms }' }));
  t.after(async () => { await gw.close(); await up.close(); });

  const client = new RawClient(gw.port());
  client.write('GET /one HTTP/1.1\r\nHost: a\r\n\r\n');
  await waitFor(() => client.text.includes('"url":"/one"'), 5000, 'first response');
  const first = parseResponse(client.text);
  assert.equal(first.status, 200);
  assert.notEqual(first.headers.connection, 'close');
  assert.match(first.headers['keep-alive'] ?? '', /timeout=\d+/);

  // The same connection still serves a second request right away.
  client.write('GET /two HTTP/1.1\r\nHost: a\r\n\r\n');
  await waitFor(() => client.text.includes('"url":"/two"'), 5000, 'second response');

  // Then, left idle, the server closes it without a further byte.
  const length = client.text.length;
  const all = await client.untilClosed();
  assert.equal(all.length, length, 'closed without sending anything more');
  assert.deepEqual(up.received.map((r) => r.url), ['/one', '/two']);
});
