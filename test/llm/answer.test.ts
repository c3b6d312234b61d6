// The upstream answer handler (src/llm/answer.ts) over a real undici Pool and a real
// node:http server: chunks queued before a reader attaches, backpressure, errors while
// paused, the async iterator (and abandoning it), and discarding a body.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Pool } from 'undici';
import { Answer, type AnswerReader } from '../../src/llm/answer.js';

type Serve = (req: http.IncomingMessage, res: http.ServerResponse) => void;

async function server(t: { after(fn: () => Promise<void>): void }, serve: Serve): Promise<Pool> {
  const s = http.createServer(serve);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const pool = new Pool(`http://127.0.0.1:${(s.address() as AddressInfo).port}`);
  t.after(async () => { await pool.destroy(); s.closeAllConnections(); await new Promise<void>((r) => s.close(() => r())); });
  return pool;
}

function send(pool: Pool, path = '/'): Answer {
  const up = new Answer();
  pool.dispatch({ path, method: 'GET', headers: {} }, up);
  return up;
}

/** Collects a body through the reader interface, pausing after each chunk until told. */
class Collector implements AnswerReader {
  chunks: Buffer[] = [];
  ended = false;
  error: Error | null = null;
  readonly done: Promise<void>;
  #resolve!: () => void;
  constructor() { this.done = new Promise((r) => { this.#resolve = r; }); }
  onData(chunk: Buffer): void { this.chunks.push(chunk); }
  onEnd(): void { this.ended = true; this.#resolve(); }
  onError(err: Error): void { this.error = err; this.#resolve(); }
  text(): string { return Buffer.concat(this.chunks).toString(); }
}

test('status and headers resolve started; a body that came with them reaches a late reader, then the end', async (t) => {
  const pool = await server(t, (_req, res) => { res.writeHead(201, { 'x-a': '1' }); res.end('hello'); });
  const up = send(pool);
  await up.started;
  assert.equal(up.statusCode, 201);
  assert.equal(up.headers['x-a'], '1');
  // Attach well after the whole answer arrived: it was queued.
  await new Promise((r) => setTimeout(r, 20));
  const c = new Collector();
  up.read(c);
  await c.done;
  assert.equal(c.text(), 'hello');
  assert.equal(c.ended, true);
  assert.equal(up.done, true);
});

test('a paused reader gets nothing until resume, and the end only after the queued chunks', async (t) => {
  const pool = await server(t, (_req, res) => {
    res.writeHead(200);
    res.write('a');
    setTimeout(() => { res.write('b'); res.end('c'); }, 10);
  });
  const up = send(pool);
  await up.started;
  const seen: string[] = [];
  let resolveEnd!: () => void;
  const ended = new Promise<void>((r) => { resolveEnd = r; });
  up.read({
    onData: (chunk) => { seen.push(chunk.toString()); up.pause(); },
    onEnd: () => { seen.push('END'); resolveEnd(); },
    onError: (err) => { throw err; },
  });
  // Wait until the upstream has sent everything; the reader paused after its first chunk.
  await new Promise((r) => setTimeout(r, 60));
  assert.deepEqual(seen, ['a']);
  while (!seen.includes('END')) {
    up.resume();
    await new Promise((r) => setImmediate(r));
  }
  await ended;
  assert.equal(seen.join(''), 'abcEND');
});

test('an upstream that dies mid-body reaches a paused reader as an error (it may wait on a drain that never comes)', async (t) => {
  const pool = await server(t, (_req, res) => {
    res.writeHead(200, { 'content-length': '100' });
    res.write('partial');
    setTimeout(() => res.socket?.destroy(), 20);
  });
  const up = send(pool);
  await up.started;
  const c = new Collector();
  up.read({ onData: (chunk) => { c.onData(chunk); up.pause(); }, onEnd: () => c.onEnd(), onError: (e) => c.onError(e) });
  await c.done;
  assert.equal(c.ended, false);
  assert.ok(c.error instanceof Error);
});

test('a failure before the headers rejects started', async (t) => {
  const pool = await server(t, (req) => { req.socket.destroy(); });
  const up = send(pool);
  await assert.rejects(up.started);
  assert.equal(up.done, true);
});

test('abort before undici hands over a controller cancels the call', async (t) => {
  let served = 0;
  const pool = await server(t, (_req, res) => { served++; res.end('x'); });
  const up = send(pool);
  up.abort(new Error('client left'));
  await assert.rejects(up.started, /client left/);
  assert.equal(served, 0);
});

test('chunks(): for await over a large body, with backpressure, in order', async (t) => {
  const piece = Buffer.alloc(16 * 1024, 'x');
  const pool = await server(t, async (_req, res) => {
    res.writeHead(200);
    for (let i = 0; i < 64; i++) {
      if (!res.write(piece)) await new Promise((r) => res.once('drain', r));
    }
    res.end('END');
  });
  const up = send(pool);
  await up.started;
  let size = 0;
  let last = '';
  for await (const chunk of up.chunks()) {
    size += chunk.length;
    last = chunk.toString('latin1').slice(-3);
    // A slow reader: undici must not run ahead of it without bound.
    await new Promise((r) => setImmediate(r));
  }
  assert.equal(size, 64 * piece.length + 3);
  assert.equal(last, 'END');
});

test('chunks(): breaking out of the loop aborts the rest of the answer', async (t) => {
  let closed!: () => void;
  const upstreamClosed = new Promise<void>((r) => { closed = r; });
  const pool = await server(t, (_req, res) => {
    res.writeHead(200);
    res.write('first');
    res.on('close', () => closed());
    // Never ends on its own.
  });
  const up = send(pool);
  await up.started;
  for await (const chunk of up.chunks()) {
    assert.equal(chunk.toString(), 'first');
    break;
  }
  await upstreamClosed;
  assert.equal(up.done, true);
});

test('chunks(): a body cut short rejects the loop', async (t) => {
  const pool = await server(t, (_req, res) => {
    res.writeHead(200, { 'content-length': '50' });
    res.write('only this');
    setTimeout(() => res.socket?.destroy(), 10);
  });
  const up = send(pool);
  await up.started;
  await assert.rejects(async () => { for await (const _ of up.chunks()) { /* read */ } });
});

test('discard(): reads a small body off so the connection serves the next call; over the limit it aborts', async (t) => {
  const sockets = new Set<unknown>();
  const pool = await server(t, (req, res) => {
    sockets.add(req.socket);
    if (req.url === '/big') {
      res.writeHead(200);
      res.write(Buffer.alloc(4096));
      return; // never ends: only the abort finishes it
    }
    res.end('small error body');
  });
  const first = send(pool);
  await first.started;
  await first.discard(1024);
  // undici frees the connection for the pool a tick after the answer ended.
  await new Promise((r) => setImmediate(r));
  const second = send(pool);
  await second.started;
  await second.discard(1024);
  assert.equal(sockets.size, 1, 'the discarded answer left its connection reusable');
  const big = send(pool, '/big');
  await big.started;
  await big.discard(1024);
  assert.equal(big.done, true);
});
