// Every refusal the listener makes before a route runs is a JSON error with
// connection: close, and is counted in agentedge_downstream_rejected_total{listener,reason}:
// HPE_HEADER_OVERFLOW → 431, ERR_HTTP_REQUEST_TIMEOUT → 408, any other parse error → 400,
// and the header-count check → 431.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startGateway, proxyConfig } from '../helpers/gateway.js';
import { rawRequest, startUpstream } from '../helpers/upstream.js';
import { RawClient, errorBody, parseResponse } from './support.js';

async function adminMetric(adminUrl: string, reason: string): Promise<number> {
  const text = await (await fetch(`${adminUrl}/metrics`)).text();
  const want = `agentedge_downstream_rejected_total{listener="edge",reason="${reason}"}`;
  const line = text.split('\n').find((l) => l.startsWith(want));
  return line === undefined ? 0 : Number(line.slice(want.length).trim());
}

test('clientError and header-count refusals: status, JSON, connection: close, metric', async (t) => {
  const up = await startUpstream();
  const gw = await startGateway(proxyConfig(up.url, { listener: '    limits: { maxHeaderBytes: 1024, maxHeaderCount: 8, headersTimeout: 200ms }' }));
  t.after(async () => { await gw.close(); await up.close(); });

  const cases: { name: string; send: () => Promise<string>; status: number; code: string; reason: string }[] = [
    {
      name: 'header bytes (HPE_HEADER_OVERFLOW)', status: 431, code: 'AE_HEADERS_TOO_LARGE', reason: 'header_bytes',
      send: async () => (await rawRequest(gw.port(), `GET / HTTP/1.1\r\nHost: a\r\nX-Big: ${'x'.repeat(2000)}\r\n\r\n`)).text,
    },
    {
      name: 'header count', status: 431, code: 'AE_HEADERS_TOO_LARGE', reason: 'header_count',
      send: async () => (await rawRequest(gw.port(), `GET / HTTP/1.1\r\nHost: a\r\n${'X-A: 1\r\n'.repeat(8)}\r\n`)).text,
    },
    {
      name: 'headers timeout (ERR_HTTP_REQUEST_TIMEOUT)', status: 408, code: 'AE_REQUEST_TIMEOUT', reason: 'timeout',
      send: async () => { const c = new RawClient(gw.port()); c.write('GET / HTTP/1.1\r\nHost: a\r\n'); return c.untilClosed(); },
    },
    {
      name: 'parse error (HPE_INVALID_METHOD)', status: 400, code: 'AE_BAD_REQUEST', reason: 'parse_error',
      send: async () => (await rawRequest(gw.port(), 'g3t / HTTP/1.1\r\nHost: a\r\n\r\n')).text,
    },
    {
      name: 'parse error (HPE_INVALID_HEADER_TOKEN)', status: 400, code: 'AE_BAD_REQUEST', reason: 'parse_error',
      send: async () => (await rawRequest(gw.port(), 'GET / HTTP/1.1\r\nHost: a\r\nBad Header: 1\r\n\r\n')).text,
    },
  ];
  for (const c of cases) {
    const before = await adminMetric(gw.adminUrl(), c.reason);
    const r = parseResponse(await c.send());
    assert.equal(r.status, c.status, c.name);
    assert.equal(r.headers['content-type'], 'application/json', c.name);
    assert.equal(r.headers.connection, 'close', c.name);
    assert.equal(Number(r.headers['content-length']), Buffer.byteLength(r.body), c.name);
    const e = errorBody(r.body);
    assert.equal(e.code, c.code, c.name);
    assert.equal(typeof e.message, 'string');
    assert.equal(await adminMetric(gw.adminUrl(), c.reason), before + 1, `${c.name}: counted once`);
  }
  assert.equal(up.connections(), 0);
});
