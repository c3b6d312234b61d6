// A config file that cannot be read is a ConfigError naming the file, not a raw fs error.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { readRuntimeConfig } from '../../src/gateway/config.js';
import { errorOf, tempDir } from './support.js';

test('a missing file', () => {
  const file = join(tempDir(), 'nope.yaml');
  const err = errorOf(() => readRuntimeConfig(file, {}));
  assert.equal(err.file, file);
  assert.equal(err.issues[0]!.message, 'cannot read the config file: file not found');
});

test('a folder instead of a file', () => {
  const err = errorOf(() => readRuntimeConfig(tempDir(), {}));
  assert.equal(err.issues[0]!.message, 'cannot read the config file: is a folder, not a file');
});
