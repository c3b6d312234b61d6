// Every example config in config/ is valid. New files are picked up automatically: each
// `${VAR}` an example uses without a default gets a placeholder value of a plausible kind.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ConfigError } from '../../src/config/index.js';
import { readRuntimeConfig } from '../../src/gateway/config.js';

const dir = fileURLToPath(new URL('../../config/', import.meta.url));
const files = readdirSync(dir).filter((f) => /\.ya?ml$/.test(f)).sort();

/** A value for a variable the example requires, guessed from its name. */
function placeholder(name: string): string {
  if (/PORT$/.test(name)) return '0';
  if (/(URL|ENDPOINT|UPSTREAM)$/.test(name)) return 'http://127.0.0.1:9';
  return `example-${name.toLowerCase()}-0123456789`;
}

function envFor(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  // `$$` escapes are skipped so `$${X}` is not mistaken for a reference.
  for (const m of text.replace(/\$\$/g, '').matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g)) env[m[1]!] = placeholder(m[1]!);
  return env;
}

test('there is at least one example', () => {
  assert.ok(files.length > 0, `no example configs found in ${dir}`);
});

for (const f of files) {
  test(`config/${f} is valid`, () => {
    const file = join(dir, f);
    try {
      const rt = readRuntimeConfig(file, envFor(readFileSync(file, 'utf8')));
      assert.ok(rt.listeners.length > 0, 'an example should define at least one listener');
    } catch (err) {
      if (err instanceof ConfigError) assert.fail(err.message);
      throw err;
    }
  });
}
