// Responses stream: the client has the first chunk while the upstream still holds the
// last one back (it waits for the test to say chunk 1 arrived). Same for SSE, where the
// headers are flushed at once and each event passes unbuffered.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'undici';
import { startGateway, proxyConfig } from '../helpers/gateway.js';
import { startUpstream } from '../helpers/upstream.js';
import { signal } from './support.js';

async function firstChunkThenRest(url: string, release: () => void): Promise<{ first: string; rest: string; headers: Record<string, unknown> }> {
  const res = await request(url);
  const it = res.body[Symbol.asyncIterator]();
  const first = await it.next();
  assert.equal(first.done, false);
  release();
  let rest = '';
  for (let r = await it.next(); !r.done; r = await it.next()) rest += (r.value as Buffer).toString();
  return { first: (first.value as Buffer).toString(), rest, headers: res.headers };
}

test('a chunked response reaches the client chunk by chunk', { timeout: 30_000 }, async (t) => {
  const gotFirst = signal();
  const up = await startUpstream((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/octet-stream' });
    res.write('chunk-1;');
    void gotFirst.promise.then(() => res.end('chunk-2;'));
  });
  const gw = await startGateway(proxyConfig(up.url));
  t.after(async () => { await gw.close(); await up.close(); });

  const { first, rest } = await firstChunkThenRest(`${gw.url()}/stream`, () => gotFirst.resolve());
  assert.equal(first, 'chunk-1;');
  assert.equal(rest, 'chunk-2;');
});

test('SSE events pass through unbuffered', { timeout: 30_000 }, async (t) => {
  const gotFirst = signal();
  const up = await startUpstream((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    res.write('data: one\n\n');
    void gotFirst.promise.then(() => { res.write('event: tick\ndata: two\n\n'); res.end('data: [DONE]\n\n'); });
  });
  const gw = await startGateway(proxyConfig(up.url));
  t.after(async () => { await gw.close(); await up.close(); });

  const { first, rest, headers } = await firstChunkThenRest(`${gw.url()}/events`, () => gotFirst.resolve());
  assert.equal(headers['content-type'], 'text/event-stream');
  assert.equal(first, 'data: one\n\n');
  assert.equal(rest, 'event: tick\ndata: two\n\ndata: [DONE]\n\n');
});
