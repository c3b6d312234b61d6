// The secret mask (src/core/secret-mask.ts): every form of a secret is replaced by as many
// `*`, wherever the chunk boundaries fall; the output has exactly the input's length; a
// JSON document stays valid JSON; only a possible start of a secret is held back.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { secretForms } from '../../src/config/index.js';
import { SecretMask } from '../../src/core/index.js';

const KEY = 'sk-live-0123456789abcdef';
const QUOTED = 'pa"ss\\word-with-quote';
/** Forms that share prefixes with each other (raw, JSON-escaped, URL-encoded) and with KEY's. */
const SHARED = 'sk-"live-0123456789';
const SECRETS = [KEY, QUOTED, SHARED];
const mask = SecretMask.of(SECRETS)!;

/** Every way a secret turns up in text: its forms, and base64 of it inside a longer value. */
function encodings(s: string): string[] {
  return [
    ...secretForms(s),
    Buffer.from(`Bearer ${s}`).toString('base64'),
    Buffer.from(`user:${s}`).toString('base64url'),
    Buffer.from(`{"k":"${s}","more":1}`).toString('base64'),
  ];
}

function masked(text: string, cuts: number[] = []): string {
  const bytes = Buffer.from(text);
  const s = mask.stream();
  const out: Buffer[] = [];
  let at = 0;
  for (const c of [...cuts].sort((a, b) => a - b)) {
    out.push(s.push(bytes.subarray(at, Math.max(at, c))));
    at = Math.max(at, c);
  }
  out.push(s.push(bytes.subarray(at)));
  const held = s.flush();
  if (held !== null) out.push(held);
  const result = Buffer.concat(out);
  assert.equal(result.length, bytes.length, 'as many bytes out as in');
  return result.toString();
}

test('each form is masked with as many stars, JSON stays parseable', () => {
  for (const secret of SECRETS) {
    for (const form of encodings(secret)) {
      // Placed in a JSON string as it is (a form that would need escaping there is the raw
      // one of QUOTED, whose escaped form is among the forms too).
      if (JSON.stringify(form).slice(1, -1) !== form && form === secret) continue;
      const doc = `{"choices":[{"message":{"content":"your key is ${form}."}}]}`;
      const out = masked(doc);
      assert.ok(!out.includes(form), `form ${form} left in ${out}`);
      for (const f of secretForms(secret)) assert.ok(!out.includes(f));
      const parsed = JSON.parse(out) as { choices: { message: { content: string } }[] };
      assert.match(parsed.choices[0]!.message.content, /^your key is .*\*{6,}.*\.$/);
    }
  }
});

test('a secret after an escape, or with escapes of its own, leaves valid JSON', () => {
  // Bytes that read as the key but start on an escape's letter (a newline, then the rest of
  // the key): the escape is kept, the rest masked.
  const nKey = 'nkey-0123456789abcdef';
  const m = SecretMask.of([nKey, 'u00e9abcdefgh12'])!;
  const doc = JSON.stringify({ text: `line\n${nKey.slice(1)}`, also: nKey });
  const out = m.apply(Buffer.from(doc)).toString();
  assert.deepEqual(JSON.parse(out), { text: `line\n${'*'.repeat(nKey.length - 1)}`, also: '*'.repeat(nKey.length) });
  const uDoc = '{"text":"x\\u00e9abcdefgh12"}';
  assert.deepEqual(JSON.parse(m.apply(Buffer.from(uDoc)).toString()), { text: 'x\u00e9**********' });
  // A quote and a backslash inside the secret: their escapes are kept, the rest masked.
  const out2 = masked(JSON.stringify({ text: QUOTED }));
  assert.deepEqual(JSON.parse(out2), { text: '**"**\\***************' });
});

test('nothing to mask: the same buffer comes back, nothing is held', () => {
  const body = Buffer.from('{"id":"chatcmpl-1","choices":[{"message":{"content":"Hello world"}}]}\n\n');
  assert.equal(mask.apply(body), body);
  const s = mask.stream();
  assert.equal(s.push(body), body);
  assert.equal(s.held, 0);
});

test('only a possible start of a secret is held back at a chunk end', () => {
  const s = mask.stream();
  assert.equal(s.push(Buffer.from('data: {"a":"x"}\n\n')).toString(), 'data: {"a":"x"}\n\n');
  const out = s.push(Buffer.from('data: {"a":"sk-live-01')).toString();
  assert.equal(out, 'data: {"a":"');
  assert.equal(s.held, 'sk-live-01'.length);
  // Not the secret after all: the held bytes go out with the next chunk, as they came.
  assert.equal(s.push(Buffer.from('x"}\n\n')).toString(), 'sk-live-01x"}\n\n');
  assert.equal(s.held, 0);
  assert.equal(s.flush(), null);
});

test('wherever a body is cut into chunks, the result is the same as masking it whole', () => {
  const text = fc.array(fc.oneof(
    fc.constantFrom(...SECRETS.flatMap(encodings), KEY.slice(0, 10), SHARED.slice(0, 6), 'sk-', 'sk-"', '\\', '\\\\', '"', '\\n', 'é'),
    fc.string({ maxLength: 12 }),
  ), { maxLength: 12 }).map((parts) => parts.join(''));
  fc.assert(fc.property(text, fc.array(fc.nat({ max: 400 }), { maxLength: 8 }), (t, cuts) => {
    const whole = mask.apply(Buffer.from(t)).toString('latin1');
    const bytes = Buffer.from(t);
    const s = mask.stream();
    const out: Buffer[] = [];
    let at = 0;
    for (const c of [...cuts].sort((a, b) => a - b)) {
      const to = Math.min(bytes.length, Math.max(at, c));
      out.push(s.push(bytes.subarray(at, to)));
      at = to;
    }
    out.push(s.push(bytes.subarray(at)));
    out.push(s.flush() ?? Buffer.alloc(0));
    const chunked = Buffer.concat(out);
    assert.equal(chunked.length, bytes.length);
    assert.equal(chunked.toString('latin1'), whole);
    for (const f of SECRETS.flatMap((x) => secretForms(x))) assert.ok(!chunked.toString().includes(f), `form ${f} left`);
    // Against a plain search: bytes outside every occurrence are untouched, and inside one
    // each byte is a star or kept as it was (an escape sequence).
    const covered = new Uint8Array(bytes.length);
    for (const f of SECRETS.flatMap((x) => secretForms(x)).map((x) => Buffer.from(x))) {
      for (let at = bytes.indexOf(f); at !== -1; at = bytes.indexOf(f, at + 1)) covered.fill(1, at, at + f.length);
    }
    for (let i = 0; i < bytes.length; i++) {
      if (covered[i] === 0) assert.equal(chunked[i], bytes[i], `byte ${i} changed outside a secret`);
      else assert.ok(chunked[i] === 0x2a || chunked[i] === bytes[i]);
    }
  }), { numRuns: 500 });
});

test('short secrets are not masked (they would mask ordinary words and JSON literals)', () => {
  assert.equal(SecretMask.of(['true', 'null', '2024']), null);
  const m = SecretMask.of(['true', KEY])!;
  assert.equal(m.apply(Buffer.from('{"ok":true}')).toString(), '{"ok":true}');
});

test('random secrets with shared prefixes and overlaps: every occurrence of every form is masked, nothing else changes', () => {
  // Letters that are never JSON escape letters or hex digits, so outside kept escapes
  // (\" and \\) every byte of an occurrence must come out as a star.
  const alphabet = ['g', 'h', 'k', 'm', '-', '"', '\\'];
  const secret = fc.array(fc.constantFrom(...alphabet), { minLength: 8, maxLength: 14 }).map((a) => a.join(''))
    .filter((s) => /[ghkm-]/.test(s));
  fc.assert(fc.property(
    fc.array(secret, { minLength: 1, maxLength: 4 }),
    fc.array(fc.oneof(fc.constantFrom(...alphabet), fc.nat({ max: 3 })), { maxLength: 60 }),
    fc.array(fc.nat({ max: 300 }), { maxLength: 6 }),
    (secrets, pieces, cuts) => {
      const m = SecretMask.of(secrets);
      assert.ok(m !== null);
      const forms = secrets.flatMap((x) => secretForms(x));
      // Text: alphabet characters and whole forms of the secrets, side by side.
      const text = pieces.map((p) => (typeof p === 'number' ? forms[p % forms.length]! : p)).join('');
      const bytes = Buffer.from(text);
      const s = m.stream();
      const out: Buffer[] = [];
      let at = 0;
      for (const c of [...cuts].sort((a, b) => a - b)) {
        const to = Math.min(bytes.length, Math.max(at, c));
        out.push(s.push(bytes.subarray(at, to)));
        at = to;
      }
      out.push(s.push(bytes.subarray(at)));
      out.push(s.flush() ?? Buffer.alloc(0));
      const result = Buffer.concat(out);
      assert.equal(result.length, bytes.length);
      const covered = new Uint8Array(bytes.length);
      for (const f of forms.map((x) => Buffer.from(x))) {
        for (let i = bytes.indexOf(f); i !== -1; i = bytes.indexOf(f, i + 1)) covered.fill(1, i, i + f.length);
      }
      for (let i = 0; i < bytes.length; i++) {
        if (covered[i] === 0) assert.equal(result[i], bytes[i], `byte ${i} of ${JSON.stringify(text)} changed`);
        else if (/[ghkm-]/.test(String.fromCharCode(bytes[i]!))) assert.equal(result[i], 0x2a, `byte ${i} of ${JSON.stringify(text)} not masked`);
      }
    },
  ), { numRuns: 1000 });
});
