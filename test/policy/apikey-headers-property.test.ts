// Property-based: presentedKey never throws, returns only well-formed keys, and finds
// any well-formed key wherever it is sent, whatever the scheme's case and padding.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { IncomingHttpHeaders } from 'node:http';
import { presentedCredential, presentedKey } from '../../src/policy/credentials.js';

const keyChar = fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c));
const wellFormedKey = fc.string({ unit: keyChar, minLength: 1, maxLength: 200 });
const padding = fc.string({ unit: fc.constantFrom(' ', '\t'), maxLength: 3 });
const bearerWord = fc.constantFrom('bearer', 'Bearer', 'BEARER', 'bEaReR');
const anyValue = fc.oneof(fc.string({ maxLength: 100 }), fc.string({ unit: 'binary', maxLength: 100 }), wellFormedKey);

test('never throws; a returned key is trimmed, 1-4096 visible ASCII characters', () => {
  fc.assert(fc.property(
    fc.record({ authorization: anyValue, 'x-api-key': anyValue, 'api-key': anyValue }, { requiredKeys: [] }),
    (headers) => {
      const k = presentedKey(headers);
      if (k !== null) assert.match(k, /^[\x21-\x7e]{1,4096}$/);
    },
  ));
});

test('a well-formed key is found in any of the three headers', () => {
  fc.assert(fc.property(wellFormedKey, padding, padding, bearerWord, fc.constantFrom('authorization', 'x-api-key', 'api-key'),
    (key, before, after, scheme, header) => {
      const value = header === 'authorization' ? `${before}${scheme} ${after}${key}${after}` : `${before}${key}${after}`;
      assert.equal(presentedKey({ [header]: value }), key);
    }));
});

test('a value with whitespace inside is malformed, never split', () => {
  fc.assert(fc.property(wellFormedKey, fc.constantFrom(' ', '\t', ', '), wellFormedKey, fc.constantFrom('x-api-key', 'api-key'),
    (a, sep, b, header) => {
      assert.equal(presentedCredential({ [header]: `${a}${sep}${b}` }).kind, 'malformed');
    }));
});

test('Authorization wins over x-api-key, which wins over api-key', () => {
  fc.assert(fc.property(wellFormedKey, wellFormedKey, wellFormedKey, fc.boolean(), fc.boolean(), (a, b, c, withAuth, withX) => {
    const headers: IncomingHttpHeaders = { 'api-key': c };
    if (withAuth) headers.authorization = `Bearer ${a}`;
    if (withX) headers['x-api-key'] = b;
    assert.equal(presentedKey(headers), withAuth ? a : withX ? b : c);
  }));
});
