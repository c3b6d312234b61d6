// The concurrency cap of the upstream stack, unit-level over a fake dispatch: admission up
// to the cap, a FIFO queue with room and a wait timeout, refusals as AE_UPSTREAM_OVERLOADED
// with retry-after, leaving the queue on abort, and exactly one release per request on
// every outcome. The socket-level behaviour is in test/http/overload-* and test/llm/overload-*.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough, Readable } from 'node:stream';
import type { Dispatcher } from 'undici';
import { ConcurrencyLimit, type OverloadReason } from '../../src/core/concurrency-limit.js';
import { GatewayError } from '../../src/core/errors.js';

/** A downstream dispatch that records what reached it. */
function fakeDispatch() {
  const sent: { opts: Dispatcher.DispatchOptions; handler: Dispatcher.DispatchHandler }[] = [];
  const dispatch: Dispatcher.Dispatch = (opts, handler) => { sent.push({ opts, handler }); return true; };
  return { sent, dispatch };
}

/** A controller as undici would give one. */
function controller(): Dispatcher.DispatchController & { abortedWith: Error | null } {
  return {
    abortedWith: null as Error | null,
    get aborted() { return this.abortedWith !== null; },
    paused: false,
    get reason() { return this.abortedWith; },
    abort(reason: Error) { this.abortedWith = reason; },
    pause() {},
    resume() {},
  };
}

/** A client-side handler recording what it was told. */
function client(path: string) {
  const h = {
    path,
    controller: null as Dispatcher.DispatchController | null,
    ended: 0,
    errors: [] as Error[],
    onRequestStart(c: Dispatcher.DispatchController) { h.controller = c; },
    onResponseStart() {},
    onResponseData() {},
    onResponseEnd() { h.ended++; },
    onResponseError(_c: Dispatcher.DispatchController, err: Error) { h.errors.push(err); },
  };
  return h;
}

function setup(max: number, queueSize: number, queueTimeoutMs = 0) {
  const overloads: OverloadReason[] = [];
  let queued = 0;
  const limit = new ConcurrencyLimit({ max, queueSize, queueTimeoutMs, onOverload: (r) => overloads.push(r), onQueue: (d) => { queued += d; } });
  const down = fakeDispatch();
  const dispatch = limit.interceptor()(down.dispatch);
  const send = (path: string, body: Dispatcher.DispatchOptions['body'] = null) => {
    const h = client(path);
    dispatch({ path, method: 'GET', body }, h);
    return h;
  };
  return { limit, down, send, overloads, queued: () => queued };
}

const tick = () => new Promise<void>((r) => queueMicrotask(r));
const pathsSent = (down: ReturnType<typeof fakeDispatch>) => down.sent.map((s) => s.opts.path);

test('admits up to the cap, queues up to the queue size, refuses the rest with a 503 and retry-after', () => {
  const { limit, down, send, overloads, queued } = setup(2, 1);
  send('/a'); send('/b');
  const c = send('/c');
  const d = send('/d');
  assert.deepEqual(pathsSent(down), ['/a', '/b']);
  assert.equal(limit.active, 2);
  assert.equal(limit.waiting, 1);
  assert.equal(queued(), 1);
  assert.ok(c.controller !== null, 'a queued request holds a controller it can abort');
  assert.equal(c.errors.length, 0);
  assert.equal(d.errors.length, 1);
  const err = d.errors[0]!;
  assert.ok(err instanceof GatewayError);
  assert.equal(err.code, 'AE_UPSTREAM_OVERLOADED');
  assert.equal(err.status, 503);
  assert.deepEqual(err.headers, { 'retry-after': '1' });
  assert.deepEqual(overloads, ['queue_full']);
});

test('a freed slot goes to the longest waiter (a microtask later), not to a newcomer', async () => {
  const { limit, down, send } = setup(1, 5);
  send('/a');
  send('/b');
  send('/c');
  const first = down.sent[0]!;
  first.handler.onResponseEnd!(controller(), {});
  // A newcomer arriving before the waiter runs queues behind the others.
  send('/d');
  await tick();
  assert.deepEqual(pathsSent(down), ['/a', '/b']);
  assert.equal(limit.active, 1);
  assert.equal(limit.waiting, 2);
  down.sent[1]!.handler.onResponseError!(controller(), new Error('reset'));
  await tick();
  down.sent[2]!.handler.onResponseEnd!(controller(), {});
  await tick();
  assert.deepEqual(pathsSent(down), ['/a', '/b', '/c', '/d']);
});

test('an abort while queued leaves the queue: the handler gets its one error, nothing is dispatched', async () => {
  const { limit, down, send, queued } = setup(1, 1);
  send('/a');
  const body = new PassThrough();
  const b = send('/b', body);
  const reason = new Error('client left');
  b.controller!.abort(reason);
  b.controller!.abort(reason);
  assert.deepEqual(b.errors, [reason]);
  assert.equal(limit.waiting, 0);
  assert.equal(queued(), 0);
  assert.ok(body.destroyed, 'a stream body that will never be sent is discarded');
  // Its place is free for the next one, and it is never dispatched.
  send('/c');
  assert.equal(limit.waiting, 1);
  down.sent[0]!.handler.onResponseEnd!(controller(), {});
  await tick();
  assert.deepEqual(pathsSent(down), ['/a', '/c']);
});

test('an abort after the slot was granted but before dispatch passes the slot on', async () => {
  const { limit, down, send } = setup(1, 2);
  send('/a');
  const b = send('/b');
  send('/c');
  down.sent[0]!.handler.onResponseEnd!(controller(), {});
  b.controller!.abort(new Error('client left'));
  await tick();
  await tick();
  assert.deepEqual(pathsSent(down), ['/a', '/c']);
  assert.equal(limit.active, 1);
  assert.equal(b.errors.length, 1);
});

test('an abort while connecting answers at once; undici\'s controller is aborted when it comes; the slot is released once', async () => {
  const { limit, down, send } = setup(1, 1);
  send('/a');
  const b = send('/b');
  down.sent[0]!.handler.onResponseEnd!(controller(), {});
  await tick();
  const running = down.sent[1]!.handler;
  const reason = new Error('client left');
  b.controller!.abort(reason);
  assert.deepEqual(b.errors, [reason]);
  const c = controller();
  running.onRequestStart!(c, null);
  assert.equal(c.abortedWith, reason);
  running.onResponseError!(c, reason);
  running.onResponseError!(c, reason);
  assert.deepEqual(b.errors, [reason], 'one terminal callback');
  assert.equal(limit.active, 0);
});

test('the wait timeout refuses a queued request with reason queue_timeout', (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const { limit, down, send, overloads } = setup(1, 2, 100);
  send('/a');
  const b = send('/b');
  t.mock.timers.tick(99);
  assert.equal(b.errors.length, 0);
  t.mock.timers.tick(1);
  assert.equal(b.errors.length, 1);
  assert.equal((b.errors[0] as GatewayError).code, 'AE_UPSTREAM_OVERLOADED');
  assert.deepEqual(overloads, ['queue_timeout']);
  assert.equal(limit.waiting, 0);
  assert.deepEqual(pathsSent(down), ['/a']);
});

test('queue size 0 refuses at once over the cap; every outcome releases exactly once', async () => {
  const { limit, down, send } = setup(1, 0);
  for (const end of ['end', 'error', 'end-then-error'] as const) {
    send('/x');
    assert.equal(send('/refused').errors.length, 1);
    const h = down.sent.at(-1)!.handler;
    if (end !== 'error') h.onResponseEnd!(controller(), {});
    if (end !== 'end') h.onResponseError!(controller(), new Error('late'));
    assert.equal(limit.active, 0, end);
  }
  await tick();
});

test('an upgraded socket holds its slot until it closes', async () => {
  const { limit, down, send } = setup(1, 0);
  send('/ws');
  const socket = new PassThrough();
  down.sent[0]!.handler.onRequestUpgrade!(controller(), 101, {}, socket);
  assert.equal(limit.active, 1);
  assert.equal(send('/other').errors.length, 1);
  socket.destroy();
  await new Promise((r) => socket.once('close', r));
  assert.equal(limit.active, 0);
});

test('a refused request discards a stream body', () => {
  const { send } = setup(1, 0);
  send('/a');
  const body = Readable.from(['x']);
  send('/b', body);
  assert.ok(body.destroyed);
});

test('a stream body that fails while its request waits ends the wait (no unhandled error event)', () => {
  const { limit, down, send } = setup(1, 1);
  send('/a');
  const body = new PassThrough();
  const b = send('/b', body);
  const err = new Error('upload reset');
  body.destroy(err);
  return new Promise<void>((resolve) => setImmediate(() => {
    assert.deepEqual(b.errors, [err]);
    assert.equal(limit.waiting, 0);
    assert.deepEqual(pathsSent(down), ['/a']);
    resolve();
  }));
});
