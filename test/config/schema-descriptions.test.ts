// Every key in the schema is documented: docs/config.md is generated from these
// descriptions, so a key without one would be a blank row in the reference.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CONFIG_SCHEMA as ConfigSchema } from '../../src/gateway/config.js';

interface Node { description?: string; properties?: Record<string, Node>; patternProperties?: Record<string, Node>; items?: Node; anyOf?: Node[] }

function undocumented(n: Node, path: string, out: string[]): string[] {
  for (const [k, child] of Object.entries(n.properties ?? {})) {
    const p = path ? `${path}.${k}` : k;
    if (!child.description?.trim()) out.push(p);
    undocumented(child, p, out);
  }
  for (const child of Object.values(n.patternProperties ?? {})) {
    if (!child.description?.trim()) out.push(`${path}.<name>`);
    undocumented(child, `${path}.<name>`, out);
  }
  if (n.items) undocumented(n.items, `${path}[]`, out);
  for (const b of n.anyOf ?? []) undocumented(b, path, out);
  return out;
}

test('every key has a description', () => {
  assert.deepEqual(undocumented(ConfigSchema as unknown as Node, '', []), []);
});
