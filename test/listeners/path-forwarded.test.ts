// The path is normalised once, before routing, and the upstream receives exactly the path
// the route matched (RELIABILITY 9). Raw sockets, because HTTP clients resolve dot
// segments themselves before sending.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startGateway } from '../helpers/gateway.js';
import { rawRequest, startUpstream } from '../helpers/upstream.js';
import { errorBody, parseResponse, rejectedCount } from './support.js';

test('dot segments, encoded dots and repeated slashes are resolved before routing and forwarding', async (t) => {
  const up = await startUpstream();
  const gw = await startGateway(`gateway: { admin: off }
listeners:
  - name: edge
    port: 0
    routes:
      - { name: admin, match: { path: /v1/admin }, backend: admin }
      - { name: public, match: { path: /v1 }, backend: public }
backends:
  admin: { http: { url: "${up.url}/admin-backend" } }
  public: { http: { url: "${up.url}/public-backend" } }
`);
  t.after(async () => { await gw.close(); await up.close(); });

  const send = async (target: string) => {
    const { text } = await rawRequest(gw.port(), `GET ${target} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n`);
    return parseResponse(text);
  };
  const upstreamPath = async (target: string): Promise<string> => {
    const r = await send(target);
    assert.equal(r.status, 200, `${target}: ${r.body}`);
    return (JSON.parse(r.body) as { url: string }).url;
  };

  assert.equal(await upstreamPath('/v1/x/../models'), '/public-backend/v1/models');
  assert.equal(await upstreamPath('/v1/public/../admin/keys'), '/admin-backend/v1/admin/keys');
  assert.equal(await upstreamPath('/v1/public/%2e%2e/admin'), '/admin-backend/v1/admin');
  assert.equal(await upstreamPath('/v1/public/%2E%2e/admin?x=/../y'), '/admin-backend/v1/admin?x=/../y');
  assert.equal(await upstreamPath('//v1///admin//keys'), '/admin-backend/v1/admin/keys');
  assert.equal(await upstreamPath('/v1/./%61dmin'), '/admin-backend/v1/admin');
  // An encoded slash is not a segment boundary: this is not the admin route, and the
  // upstream gets the escape unchanged.
  assert.equal(await upstreamPath('/v1/a%2Fadmin'), '/public-backend/v1/a%2Fadmin');
  const encodedSlash = await send('/v1%2Fadmin');
  assert.equal(encodedSlash.status, 404);
  assert.equal(errorBody(encodedSlash.body).code, 'AE_ROUTE_NOT_FOUND');

  const before = up.received.length;
  for (const target of ['/..', '/v1/../../admin', '/%2e%2e/v1', '/v1/%2e%2e/%2E%2E/x', '/v1/a%00b', '/v1/%00', '/v1/a%zz', '/v1/a#frag']) {
    const r = await send(target);
    assert.equal(r.status, 400, target);
    assert.equal(errorBody(r.body).code, 'AE_BAD_PATH', target);
  }
  assert.equal(up.received.length, before, 'no refused path reaches the upstream');
  assert.equal(await rejectedCount(gw, 'bad_path'), 8);
});
