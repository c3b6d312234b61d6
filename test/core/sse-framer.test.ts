// SseFramer, the one SSE framing of every stream relay: whatever the chunk boundaries (a
// boundary split across chunks included) and line endings, what it passes on is exactly the
// input, in regions of whole events; an unfinished event past the cap is refused, or in
// release mode passed on as it comes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { SseEventReader, SseEventTooLarge, SseFramer, sseEvents, GatewayError } from '../../src/core/index.js';

const EOL = fc.constantFrom('\n', '\r\n', '\r');

/** A stream of events with one line ending, as a server writes it. */
const streams = fc.record({
  eol: EOL,
  events: fc.array(fc.array(fc.string({ unit: 'grapheme', maxLength: 12 }).map((s) => s.replace(/[\r\n]/g, ' ')), { minLength: 1, maxLength: 3 }), { maxLength: 6 }),
}).map(({ eol, events }) => ({ eol, events: events.map((lines) => lines.map((l) => `data: ${l}`).join(eol) + eol + eol) }));

function cutAt(buf: Buffer, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => c % (buf.length + 1)))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let prev = 0;
  for (const p of [...points, buf.length]) {
    out.push(buf.subarray(prev, p));
    prev = p;
  }
  return out;
}

test('the bytes passed on are the input, each region ends on an event boundary, and the events are the same', () => {
  fc.assert(fc.property(streams, fc.array(fc.nat(), { maxLength: 20 }), ({ eol, events }, cuts) => {
    const input = Buffer.from(events.join(''));
    const framer = new SseFramer(1024 * 1024);
    const regions = cutAt(input, cuts).map((c) => framer.push(c));
    assert.equal(framer.flush(), null, 'nothing is left: the input ends on a boundary');
    assert.ok(Buffer.concat(regions).equals(input));
    for (const r of regions) assert.ok(r.length === 0 || r.toString().endsWith(eol + eol), JSON.stringify(r.toString()));
    const got = regions.flatMap((r) => sseEvents(r)).filter((e) => e !== '');
    assert.deepEqual(got, events.map((e) => e.slice(0, -2 * eol.length)));
  }), { numRuns: 500 });
});

test('an unfinished event is held, and given back by flush at the end', () => {
  const framer = new SseFramer(1024);
  assert.equal(framer.push(Buffer.from('data: a\n\ndata: b')).toString(), 'data: a\n\n');
  assert.equal(framer.holding, 7);
  assert.equal(framer.flush()?.toString(), 'data: b');
  assert.equal(framer.flush(), null);
});

test('a boundary split across chunks is found (CRLF CRLF cut anywhere)', () => {
  for (let cut = 1; cut < 4; cut++) {
    const framer = new SseFramer(1024);
    const sep = '\r\n\r\n';
    assert.equal(framer.push(Buffer.from('data: a' + sep.slice(0, cut))).length, 0);
    assert.equal(framer.push(Buffer.from(sep.slice(cut) + 'data: b')).toString(), 'data: a' + sep, `cut ${cut}`);
  }
});

test('past the cap an unfinished event throws SseEventTooLarge; SseEventReader turns it into AE_UPSTREAM_PROTOCOL', () => {
  const framer = new SseFramer(100);
  framer.push(Buffer.from('data: ' + 'x'.repeat(90)));
  assert.throws(() => framer.push(Buffer.from('x'.repeat(20))), SseEventTooLarge);
  // A whole event larger than the cap is refused too, however it was cut.
  const whole = new SseFramer(100);
  whole.push(Buffer.from('data: ' + 'x'.repeat(60)));
  assert.throws(() => whole.push(Buffer.from('x'.repeat(60) + '\n\n')), SseEventTooLarge);
  const reader = new SseEventReader(100, 'test stream');
  assert.throws(() => reader.push(Buffer.from('data: ' + 'x'.repeat(200))), (e: unknown) => e instanceof GatewayError && e.code === 'AE_UPSTREAM_PROTOCOL');
});

test('release mode: past the cap the event passes as it comes, and framing resumes after its boundary', () => {
  const framer = new SseFramer(10, { release: true });
  assert.equal(framer.push(Buffer.from('data: 0123')).length, 0);
  assert.equal(framer.push(Buffer.from('456789')).toString(), 'data: 0123456789');
  assert.equal(framer.midEvent, true);
  assert.equal(framer.push(Buffer.from('more')).toString(), 'more');
  assert.equal(framer.push(Buffer.from('\n')).toString(), '\n');
  // The boundary's second half, then a new event that is held again.
  assert.equal(framer.push(Buffer.from('\ndata: z')).toString(), '\n');
  assert.equal(framer.midEvent, false);
  assert.equal(framer.flush()?.toString(), 'data: z');
});
