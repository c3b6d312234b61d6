// The http backend forwards method, path, query and body, and returns the upstream's answer.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'undici';
import { startGateway, proxyConfig } from '../helpers/gateway.js';
import { startUpstream } from '../helpers/upstream.js';

test('GET and POST pass through with path, query and body intact', { timeout: 30_000 }, async (t) => {
  const up = await startUpstream();
  const gw = await startGateway(proxyConfig(up.url));
  t.after(async () => { await gw.close(); await up.close(); });

  const get = await request(`${gw.url()}/a/b?x=1&y=%2F`);
  assert.equal(get.statusCode, 200);
  const g = await get.body.json() as { url: string; method: string };
  assert.equal(g.url, '/a/b?x=1&y=%2F');
  assert.equal(g.method, 'GET');

  const payload = JSON.stringify({ hello: 'world' });
  const post = await request(`${gw.url()}/submit`, { method: 'POST', body: payload, headers: { 'content-type': 'application/json' } });
  assert.equal(post.statusCode, 200);
  await post.body.text();
  const last = up.received.at(-1)!;
  assert.equal(last.body.toString(), payload);
  assert.equal(last.headers['content-type'], 'application/json');
  assert.ok(post.headers['x-request-id']);
});
