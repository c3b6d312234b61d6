// Properties of normalizeTarget over generated paths built from the characters that make
// trouble: slashes, dots, percent escapes (including encoded dots and slashes).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { normalizeTarget } from '../../src/core/path.js';

const piece = fc.constantFrom('/', '//', '.', '..', '%2e', '%2E', '%2F', '%2f', '%25', '%41', '%7e', '%00', '%', 'a', 'b', '~', '-', '.a', 'a.', '?', '?q=/../', ';', '%zz');
const target = fc.array(piece, { maxLength: 24 }).map((parts) => '/' + parts.join(''));

test('normalisation is idempotent', () => {
  fc.assert(fc.property(target, (url) => {
    const once = normalizeTarget(url);
    if (once === null) return;
    const twice = normalizeTarget(once.path + once.query);
    assert.deepEqual(twice, once);
  }), { numRuns: 5000 });
});

test('a normalised path starts with "/" and has no ".", ".." or empty segment inside', () => {
  fc.assert(fc.property(target, (url) => {
    const r = normalizeTarget(url);
    if (r === null) return;
    assert.equal(r.path[0], '/');
    assert.ok(!r.path.includes('//'), r.path);
    for (const seg of r.path.split('/')) assert.ok(seg !== '.' && seg !== '..', r.path);
    // Only reserved bytes remain encoded, so a later decoder can never produce a new dot segment.
    assert.ok(!/%2e/i.test(r.path), r.path);
    assert.ok(!r.path.includes('\0'));
  }), { numRuns: 5000 });
});

test('the query is never changed', () => {
  fc.assert(fc.property(target, fc.string({ maxLength: 20 }).filter((s) => !s.includes('#')), (url, q) => {
    const r = normalizeTarget(`${url.split('?')[0]}?${q}`);
    if (r !== null) assert.equal(r.query, `?${q}`);
  }), { numRuns: 2000 });
});
