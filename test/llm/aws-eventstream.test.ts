// AWS event stream framing: known frames decode and encode byte for byte, every header type
// round-trips, and corruption (either CRC, impossible or oversized lengths, bad headers, a cut
// stream) fails at once with a clear EventStreamError instead of hanging or buffering.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import {
  EventStreamDecoder, EventStreamError, crc32, crc32Fallback, decodeEventStream,
  encodeEventStreamMessage, interpretBedrockMessage, type EventStreamMessage,
} from '../../src/llm/providers/aws-eventstream.js';

const u32 = (n: number): Buffer => { const b = Buffer.alloc(4); b.writeUInt32BE(n >>> 0); return b; };
const str = (s: string): Buffer => Buffer.from(s, 'utf8');
const decodeAll = (bytes: Buffer): EventStreamMessage[] => {
  const d = new EventStreamDecoder();
  const out = d.push(bytes);
  d.end();
  return out;
};

test('CRC32 is the IEEE/gzip CRC (check value) and the fallback agrees with zlib', () => {
  assert.equal(crc32(str('123456789')), 0xcbf43926);
  assert.equal(crc32Fallback(str('123456789')), 0xcbf43926);
  assert.equal(crc32Fallback(Buffer.alloc(0)), 0);
});

// Published frames (the Elixir event_stream package docs, built from the Transcribe spec):
// {"foo": "bar"} with no headers, and with content-type: application/json.
const FOO_BAR = str('{"foo": "bar"}');
const PUBLISHED_NO_HEADERS = Buffer.concat([
  Buffer.from([0, 0, 0, 30, 0, 0, 0, 0, 186, 242, 246, 138]), FOO_BAR, Buffer.from([174, 114, 88, 228]),
]);
const PUBLISHED_CONTENT_TYPE = Buffer.concat([
  Buffer.from([0, 0, 0, 62, 0, 0, 0, 32, 64, 93, 249, 70]),
  Buffer.from([12]), str('content-type'), Buffer.from([7, 0, 16]), str('application/json'),
  FOO_BAR, Buffer.from([111, 162, 191, 59]),
]);

test('published frames decode, and the encoder reproduces them byte for byte', () => {
  assert.deepEqual(decodeAll(PUBLISHED_NO_HEADERS), [{ headers: {}, payload: FOO_BAR }]);
  assert.deepEqual(decodeAll(PUBLISHED_CONTENT_TYPE), [{ headers: { 'content-type': 'application/json' }, payload: FOO_BAR }]);
  assert.deepEqual(encodeEventStreamMessage({}, FOO_BAR), PUBLISHED_NO_HEADERS);
  assert.deepEqual(encodeEventStreamMessage({ 'content-type': 'application/json' }, '{"foo": "bar"}'), PUBLISHED_CONTENT_TYPE);
});

test('a hand-built frame with every header type decodes to typed values', () => {
  const uuid = Buffer.from('0123456789abcdef0123456789abcdef', 'hex');
  const h = (name: string, type: number, value: Buffer = Buffer.alloc(0)): Buffer =>
    Buffer.concat([Buffer.from([Buffer.byteLength(name)]), str(name), Buffer.from([type]), value]);
  const i16 = Buffer.alloc(2); i16.writeInt16BE(-2);
  const i64 = Buffer.alloc(8); i64.writeBigInt64BE(-(2n ** 40n));
  const ts = Buffer.alloc(8); ts.writeBigInt64BE(1_440_938_160_000n);
  const headers = Buffer.concat([
    h('t', 0), h('f', 1), h('b', 2, Buffer.from([0xff])), h('s', 3, i16), h('i', 4, u32(0x7fffffff)),
    h('l', 5, i64), h('y', 6, Buffer.concat([Buffer.from([0, 3]), Buffer.from([1, 2, 3])])),
    h(':event-type', 7, Buffer.concat([Buffer.from([0, 17]), str('contentBlockDelta')])),
    h('ts', 8, ts), h('u', 9, uuid),
  ]);
  const payload = str('{"contentBlockIndex":0,"delta":{"text":"Hi"}}');
  const total = 12 + headers.length + payload.length + 4;
  const prelude = Buffer.concat([u32(total), u32(headers.length)]);
  const head = Buffer.concat([prelude, u32(crc32Fallback(prelude)), headers, payload]);
  const frame = Buffer.concat([head, u32(crc32Fallback(head))]);

  const [m] = decodeAll(frame);
  assert.deepEqual(m, {
    headers: {
      t: true, f: false, b: -1, s: -2, i: 0x7fffffff, l: -(2n ** 40n), y: Buffer.from([1, 2, 3]),
      ':event-type': 'contentBlockDelta', ts: new Date('2015-08-30T12:36:00Z'),
      u: '01234567-89ab-cdef-0123-456789abcdef',
    },
    payload,
  });
  // The encoder, given the same typed headers, produces the same bytes.
  assert.deepEqual(encodeEventStreamMessage({
    t: true, f: false, b: { type: 'byte', value: -1 }, s: { type: 'short', value: -2 }, i: 0x7fffffff,
    l: -(2n ** 40n), y: Buffer.from([1, 2, 3]), ':event-type': 'contentBlockDelta',
    ts: new Date('2015-08-30T12:36:00Z'), u: { type: 'uuid', value: '01234567-89ab-cdef-0123-456789abcdef' },
  }, payload), frame);
});

test('many messages round-trip, fed whole and one byte at a time', () => {
  const msgs = Array.from({ length: 200 }, (_, i) => ({
    headers: { ':message-type': 'event', ':event-type': `e${i}`, n: i, big: BigInt(i) * 1_000_000_000_000n, odd: i % 2 === 1 },
    payload: Buffer.from(JSON.stringify({ i, text: 'x'.repeat(i) })),
  }));
  const wire = Buffer.concat(msgs.map((m) => encodeEventStreamMessage(m.headers, m.payload)));
  assert.deepEqual(decodeAll(wire), msgs);
  const d = new EventStreamDecoder();
  const out: EventStreamMessage[] = [];
  for (let i = 0; i < wire.length; i++) out.push(...d.push(wire.subarray(i, i + 1)));
  d.end();
  assert.deepEqual(out, msgs);
  assert.equal(d.bufferedBytes, 0);
});

test('an empty message (no headers, no payload) is 16 bytes and decodes', () => {
  const m = encodeEventStreamMessage({});
  assert.equal(m.length, 16);
  assert.deepEqual(decodeAll(m), [{ headers: {}, payload: Buffer.alloc(0) }]);
});

function expectError(bytes: Buffer, re: RegExp, max?: number): void {
  const d = new EventStreamDecoder(max);
  assert.throws(() => { d.push(bytes); d.end(); }, (e: unknown) => e instanceof EventStreamError && re.test(e.message));
  // Poisoned: a later push fails the same way instead of resynchronising on garbage.
  assert.throws(() => d.push(PUBLISHED_NO_HEADERS), EventStreamError);
}

test('corrupt prelude CRC: fails as soon as the 12 prelude bytes are in', () => {
  const bad = Buffer.from(PUBLISHED_CONTENT_TYPE);
  bad[1] = 0x7f; // total length now ~8 MB: must not wait for it
  expectError(bad.subarray(0, 12), /prelude CRC mismatch/);
  const badCrc = Buffer.from(PUBLISHED_CONTENT_TYPE);
  badCrc[9] = badCrc[9]! ^ 1;
  expectError(badCrc, /prelude CRC mismatch/);
});

test('corrupt payload or message CRC: message CRC mismatch', () => {
  const bad = Buffer.from(PUBLISHED_CONTENT_TYPE);
  bad[bad.length - 6] = bad[bad.length - 6]! ^ 0x20;
  expectError(bad, /message CRC mismatch/);
  const badTail = Buffer.from(PUBLISHED_CONTENT_TYPE);
  badTail[badTail.length - 1] = badTail[badTail.length - 1]! ^ 1;
  expectError(badTail, /message CRC mismatch/);
});

function prelude(total: number, headers: number): Buffer {
  const p = Buffer.concat([u32(total), u32(headers)]);
  return Buffer.concat([p, u32(crc32(p))]);
}

test('oversized length (with a valid prelude CRC) fails immediately, before buffering', () => {
  expectError(prelude(16 * 1024 * 1024 + 1, 0), /exceeds the 16777216-byte limit/);
  expectError(prelude(0xffffffff, 0), /exceeds/);
  expectError(prelude(1025, 0), /exceeds the 1024-byte limit/, 1024);
});

test('impossible lengths in a valid prelude are rejected', () => {
  expectError(prelude(15, 0), /invalid lengths/);
  expectError(prelude(20, 5), /invalid lengths/);
});

function frameWithHeaderBytes(headers: Buffer): Buffer {
  const total = 16 + headers.length;
  const head = Buffer.concat([prelude(total, headers.length), headers]);
  return Buffer.concat([head, u32(crc32(head))]);
}

test('bad header sections: unknown type, truncation, duplicates', () => {
  expectError(frameWithHeaderBytes(Buffer.concat([Buffer.from([1]), str('x'), Buffer.from([10])])), /unknown value type 10/);
  expectError(frameWithHeaderBytes(Buffer.concat([Buffer.from([1]), str('x'), Buffer.from([7, 0, 9]), str('abc')])), /truncated header/);
  expectError(frameWithHeaderBytes(Buffer.from([5, 0x61])), /truncated header/);
  expectError(frameWithHeaderBytes(Buffer.concat([Buffer.from([1]), str('x'), Buffer.from([0, 1]), str('x'), Buffer.from([1])])), /duplicate header/);
});

test('a header named __proto__ stays an ordinary key', () => {
  const [m] = decodeAll(frameWithHeaderBytes(Buffer.concat([Buffer.from([9]), str('__proto__'), Buffer.from([0])])));
  assert.equal(Object.getPrototypeOf(m!.headers), Object.prototype);
  assert.equal(Object.getOwnPropertyDescriptor(m!.headers, '__proto__')?.value, true);
});

test('a stream cut mid-message is an error at end(), not a silent drop', () => {
  const d = new EventStreamDecoder();
  assert.deepEqual(d.push(PUBLISHED_CONTENT_TYPE.subarray(0, 40)), []);
  assert.equal(d.bufferedBytes, 40);
  assert.throws(() => d.end(), /stream ended inside a message \(40 bytes left over\)/);
});

test('encoder refuses what the wire cannot carry', () => {
  assert.throws(() => encodeEventStreamMessage({ n: 1.5 }), /not an int32/);
  assert.throws(() => encodeEventStreamMessage({ n: 2 ** 31 }), /not an int32/);
  assert.throws(() => encodeEventStreamMessage({ s: 'x'.repeat(65536) }), /longer than 65535/);
  assert.throws(() => encodeEventStreamMessage({ ['k'.repeat(256)]: true }), /1-255 bytes/);
  assert.throws(() => encodeEventStreamMessage({ u: { type: 'uuid', value: 'nope' } }), /not a UUID/);
});

test('decodeEventStream reads an async byte source and rejects a truncated one', async () => {
  const frames = [
    encodeEventStreamMessage({ ':message-type': 'event', ':event-type': 'messageStart' }, '{"role":"assistant"}'),
    encodeEventStreamMessage({ ':message-type': 'event', ':event-type': 'messageStop' }, '{"stopReason":"end_turn"}'),
  ];
  const wire = Buffer.concat(frames);
  const got: EventStreamMessage[] = [];
  for await (const m of decodeEventStream(Readable.from([wire.subarray(0, 7), wire.subarray(7, 50), wire.subarray(50)]))) got.push(m);
  assert.deepEqual(got.map((m) => m.headers[':event-type']), ['messageStart', 'messageStop']);

  await assert.rejects(async () => {
    for await (const _ of decodeEventStream(Readable.from([wire.subarray(0, wire.length - 3)]))) { /* drain */ }
  }, /stream ended inside a message/);
});

test('Bedrock ConverseStream messages: events, exceptions, errors', () => {
  const ev = (type: string, body: unknown) => decodeAll(encodeEventStreamMessage(
    { ':message-type': 'event', ':event-type': type, ':content-type': 'application/json' }, JSON.stringify(body)))[0]!;
  assert.deepEqual(interpretBedrockMessage(ev('messageStart', { role: 'assistant' })),
    { kind: 'event', type: 'messageStart', body: { role: 'assistant' } });
  assert.deepEqual(interpretBedrockMessage(ev('contentBlockDelta', { contentBlockIndex: 0, delta: { text: 'Hi' }, p: 'abcd' })),
    { kind: 'event', type: 'contentBlockDelta', body: { contentBlockIndex: 0, delta: { text: 'Hi' }, p: 'abcd' } });
  assert.deepEqual(interpretBedrockMessage(ev('metadata', { usage: { inputTokens: 3, outputTokens: 5, totalTokens: 8 }, metrics: { latencyMs: 9 } })).type, 'metadata');

  const exc = decodeAll(encodeEventStreamMessage(
    { ':message-type': 'exception', ':exception-type': 'throttlingException', ':content-type': 'application/json' },
    '{"message":"Too many requests, please wait before trying again."}'))[0]!;
  assert.deepEqual(interpretBedrockMessage(exc), {
    kind: 'exception', type: 'throttlingException', message: 'Too many requests, please wait before trying again.',
    body: { message: 'Too many requests, please wait before trying again.' },
  });

  const err = decodeAll(encodeEventStreamMessage(
    { ':message-type': 'error', ':error-code': 'InternalFailure', ':error-message': 'boom' }))[0]!;
  assert.deepEqual(interpretBedrockMessage(err), { kind: 'error', type: 'InternalFailure', message: 'boom', body: {} });

  const odd = (headers: Record<string, string>, payload = '{}') => decodeAll(encodeEventStreamMessage(headers, payload))[0]!;
  assert.throws(() => interpretBedrockMessage(odd({ ':message-type': 'event' })), /without :event-type/);
  assert.throws(() => interpretBedrockMessage(odd({ ':message-type': 'ping' })), /unknown :message-type "ping"/);
  assert.throws(() => interpretBedrockMessage(odd({})), /unknown :message-type null/);
  assert.throws(() => interpretBedrockMessage(odd({ ':message-type': 'event', ':event-type': 'x' }, '{oops')), /x: payload is not JSON/);
  assert.throws(() => interpretBedrockMessage(odd({ ':message-type': 'event', ':event-type': 'x' }, '[1]')), /not a JSON object/);
});
