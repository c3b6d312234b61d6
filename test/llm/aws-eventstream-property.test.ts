// Property tests for the event stream decoder: however a stream of encoded messages is cut
// into chunks it decodes to the same messages; any single corrupted byte is detected (CRC32
// catches every burst of up to 32 bits) as an EventStreamError, never a hang or a wrong message;
// and the decoder never holds more than one message's worth of bytes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as zlib from 'node:zlib';
import fc from 'fast-check';
import {
  EventStreamDecoder, EventStreamError, crc32Fallback, encodeEventStreamMessage,
  type EventStreamHeaderInput, type EventStreamHeaderValue, type EventStreamMessage,
} from '../../src/llm/providers/aws-eventstream.js';

// A header value and what the decoder must give back for it.
type Pair = [EventStreamHeaderInput, EventStreamHeaderValue];
const pair = (input: EventStreamHeaderInput, out: EventStreamHeaderValue): Pair => [input, out];
const headerValue: fc.Arbitrary<Pair> = fc.oneof(
  fc.boolean().map((v) => pair(v, v)),
  fc.string({ maxLength: 40 }).map((v) => pair(v, v)),
  fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }).map((v) => pair(v, v)),
  fc.integer({ min: -128, max: 127 }).map((v) => pair({ type: 'byte', value: v }, v)),
  fc.integer({ min: -32768, max: 32767 }).map((v) => pair({ type: 'short', value: v }, v)),
  fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map((v) => pair(v, v)),
  fc.uint8Array({ maxLength: 40 }).map((v) => pair(Buffer.from(v), Buffer.from(v))),
  fc.integer({ min: -8.64e15, max: 8.64e15 }).map((ms) => pair(new Date(ms), new Date(ms))),
  fc.uuid().map((v) => pair({ type: 'uuid', value: v }, v.toLowerCase())),
);

const message = fc.record({
  headers: fc.dictionary(fc.string({ minLength: 1, maxLength: 20 }), headerValue, { maxKeys: 6 }),
  payload: fc.uint8Array({ maxLength: 300 }),
});

type Gen = { headers: Record<string, Pair>; payload: Uint8Array };
const encode = (m: Gen): Buffer =>
  encodeEventStreamMessage(Object.fromEntries(Object.entries(m.headers).map(([k, [input]]) => [k, input])), m.payload);
const expected = (m: Gen): EventStreamMessage =>
  ({ headers: Object.fromEntries(Object.entries(m.headers).map(([k, [, out]]) => [k, out])), payload: Buffer.from(m.payload) });

function feed(wire: Buffer, cuts: number[], d: EventStreamDecoder, maxHeld: { n: number }): EventStreamMessage[] {
  const points = [...new Set(cuts.map((c) => c % (wire.length + 1)))].sort((a, b) => a - b);
  const out: EventStreamMessage[] = [];
  let prev = 0;
  for (const p of [...points, wire.length]) {
    out.push(...d.push(wire.subarray(prev, p)));
    maxHeld.n = Math.max(maxHeld.n, d.bufferedBytes);
    prev = p;
  }
  d.end();
  return out;
}

test('any chunking of a concatenation of messages decodes to the same messages', () => {
  fc.assert(fc.property(fc.array(message, { maxLength: 8 }), fc.array(fc.nat(), { maxLength: 30 }), (msgs, cuts) => {
    const frames = msgs.map(encode);
    const wire = Buffer.concat(frames);
    const held = { n: 0 };
    assert.deepEqual(feed(wire, cuts, new EventStreamDecoder(), held), msgs.map(expected));
    // Bounded buffering: never more than the largest single message is held between pushes.
    assert.ok(held.n < Math.max(16, ...frames.map((f) => f.length)), `held ${held.n}`);
  }), { numRuns: 400 });
});

test('any single corrupted byte is reported as an EventStreamError', () => {
  fc.assert(fc.property(
    fc.array(message, { minLength: 1, maxLength: 4 }), fc.nat(), fc.integer({ min: 1, max: 255 }), fc.array(fc.nat(), { maxLength: 10 }),
    (msgs, where, xor, cuts) => {
      const wire = Buffer.concat(msgs.map(encode));
      const at = where % wire.length;
      wire[at] = wire[at]! ^ xor;
      assert.throws(() => feed(wire, cuts, new EventStreamDecoder(), { n: 0 }), EventStreamError);
    },
  ), { numRuns: 400 });
});

test('random bytes never hang the decoder or make it buffer past its limit', () => {
  fc.assert(fc.property(fc.uint8Array({ minLength: 0, maxLength: 2000 }), fc.array(fc.nat(), { maxLength: 10 }), (bytes, cuts) => {
    const d = new EventStreamDecoder(1024);
    const held = { n: 0 };
    try {
      feed(Buffer.from(bytes), cuts, d, held);
    } catch (e) {
      assert.ok(e instanceof EventStreamError, String(e));
    }
    // Between pushes only an accepted prelude's message (<= 1024 bytes) is ever waited for.
    assert.ok(held.n < 1024, `held ${held.n}`);
  }), { numRuns: 300 });
});

test('the table CRC32 fallback agrees with zlib.crc32', () => {
  const native = (zlib as { crc32?: (d: Uint8Array) => number }).crc32;
  if (typeof native !== 'function') return; // nothing to compare against on this runtime
  fc.assert(fc.property(fc.uint8Array({ maxLength: 500 }), (b) => {
    assert.equal(crc32Fallback(b), native(b) >>> 0);
  }), { numRuns: 300 });
});
