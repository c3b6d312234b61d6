// The committed JSON Schema is usable on its own (as editors and other tools use it): it
// compiles with a fresh Ajv and accepts and rejects the same documents as the loader.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { Ajv } from 'ajv';
import { parse } from 'yaml';
import { DOCS_EXAMPLE, ROOT, SCHEMA_FILE } from '../../scripts/gen-schema.js';

test('the committed schema compiles and agrees with the loader', () => {
  const schema = JSON.parse(readFileSync(join(ROOT, SCHEMA_FILE), 'utf8'));
  // strict: false, as a third-party tool would: unknown x- annotations are just ignored.
  const validate = new Ajv({ strict: false, allowUnionTypes: true }).compile(schema);
  const example = parse(DOCS_EXAMPLE.replace('${ADMIN_TOKEN}', 'docs-example-token-0123456789').replace('${PORT:-8443}', '8443'));
  assert.ok(validate(example), JSON.stringify(validate.errors));
  assert.equal(validate({ listners: [] }), false);
  assert.equal(validate({ listeners: [{ name: 'a', port: 'abc', routes: [] }] }), false);
  assert.equal(validate({ listeners: [], backends: { 'bad name': { http: { url: 'http://x' } } } }), false);
});
