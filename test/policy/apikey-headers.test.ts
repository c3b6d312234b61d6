// Where a presented credential comes from: Authorization Bearer, then x-api-key, then
// api-key; malformed values; and the JWT shape check used to tell a JWT from a key.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bearerToken, looksLikeJwt, presentedCredential, presentedKey } from '../../src/policy/credentials.js';

test('the three headers, each on its own', () => {
  assert.equal(presentedKey({ authorization: 'Bearer k1' }), 'k1');
  assert.equal(presentedKey({ 'x-api-key': 'k2' }), 'k2');
  assert.equal(presentedKey({ 'api-key': 'k3' }), 'k3');
  assert.equal(presentedKey({}), null);
});

test('priority: Authorization Bearer, then x-api-key, then api-key', () => {
  assert.equal(presentedKey({ authorization: 'Bearer a', 'x-api-key': 'b', 'api-key': 'c' }), 'a');
  assert.equal(presentedKey({ 'x-api-key': 'b', 'api-key': 'c' }), 'b');
  assert.deepEqual(presentedCredential({ 'x-api-key': 'b', 'api-key': 'c' }), { kind: 'value', value: 'b', header: 'x-api-key' });
});

test('the Bearer scheme is case-insensitive; surrounding whitespace is trimmed', () => {
  for (const h of ['Bearer k', 'bearer k', 'BEARER k', 'BeArEr \t k  ', '  Bearer k']) assert.equal(presentedKey({ authorization: h }), 'k', h);
  assert.equal(presentedKey({ 'x-api-key': '  k \t' }), 'k');
});

test('Authorization with another scheme is skipped, not an error', () => {
  assert.equal(presentedKey({ authorization: 'Basic dXNlcjpwYXNz', 'x-api-key': 'k' }), 'k');
  assert.deepEqual(presentedCredential({ authorization: 'Basic dXNlcjpwYXNz' }), { kind: 'none' });
  assert.deepEqual(presentedCredential({ authorization: 'Bearerk' }), { kind: 'none' });
  assert.equal(bearerToken({ authorization: 'Basic dXNlcjpwYXNz' }), null);
});

test('empty headers count as absent', () => {
  assert.equal(presentedKey({ authorization: '', 'x-api-key': ' ', 'api-key': 'k' }), 'k');
});

test('a malformed value in the first present header is malformed, and the next header is not used', () => {
  const cases: Record<string, string>[] = [
    { authorization: 'Bearer a b', 'x-api-key': 'good' },
    { authorization: 'Bearer', 'x-api-key': 'good' },
    { 'x-api-key': 'a, b', 'api-key': 'good' },
    { 'x-api-key': 'k\u0001', 'api-key': 'good' },
    { 'x-api-key': 'ké', 'api-key': 'good' },
    { 'x-api-key': 'k'.repeat(4097), 'api-key': 'good' },
  ];
  for (const headers of cases) {
    assert.equal(presentedCredential(headers).kind, 'malformed', JSON.stringify(headers).slice(0, 80));
    assert.equal(presentedKey(headers), null);
  }
  assert.equal(presentedKey({ 'x-api-key': 'k'.repeat(4096) }), 'k'.repeat(4096));
});

test('bearerToken reads only Authorization', () => {
  assert.equal(bearerToken({ authorization: 'Bearer t' }), 't');
  assert.equal(bearerToken({ 'x-api-key': 't' }), null);
  assert.equal(bearerToken({ authorization: 'Bearer a b' }), null);
  assert.equal(bearerToken({ authorization: `Bearer ${'t'.repeat(5000)}` }), null);
  assert.equal(bearerToken({ authorization: `Bearer ${'t'.repeat(5000)}` }, 8192), 't'.repeat(5000));
});

test('looksLikeJwt: three base64url segments, the header a JSON object', () => {
  assert.ok(looksLikeJwt('eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln'));
  assert.ok(looksLikeJwt('eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.'), 'unsigned tokens are JWTs too (and refused as such)');
  for (const s of ['ae-AbCdEf0123456789', 'a.b.c', 'eyJ.eyJ', 'eyJ.eyJ.x.y', 'eyJ..sig', 'eyJ+.eyJ.sig', 'eyJ.eyJ.si=', '', 'eyJ.eyJ.sig ']) {
    assert.ok(!looksLikeJwt(s), s);
  }
});
