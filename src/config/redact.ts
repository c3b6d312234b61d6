// The effective config as the admin API shows it: fields the schema marks as secret
// (`x-secret`) are replaced, and so is any other string that contains a secret value
// (a key pasted into a URL, an env value reused elsewhere). Walking the schema alongside
// the value means a new secret field is redacted by marking it in the schema (schema.ts, or
// a backend kind's fragment), nowhere else.
import { REDACTED, scrubSecrets } from './secret.js';
import type { RuntimeConfig } from './model.js';

interface SchemaNode {
  'x-secret'?: boolean;
  properties?: Record<string, SchemaNode>;
  patternProperties?: Record<string, SchemaNode>;
  additionalProperties?: SchemaNode | boolean;
  items?: SchemaNode;
  anyOf?: SchemaNode[];
}

export function redactedConfig(rt: RuntimeConfig): unknown {
  return redactValue(rt.source, rt.schema as unknown as SchemaNode, rt.secrets);
}

function redactValue(value: unknown, schema: SchemaNode | undefined, secrets: readonly string[]): unknown {
  if (schema?.['x-secret']) return REDACTED;
  if (typeof value === 'string') return scrubSecrets(value, secrets);
  if (Array.isArray(value)) return value.map((v) => redactValue(v, itemSchema(schema), secrets));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = redactValue(v, childSchema(schema, k), secrets);
    return out;
  }
  return value;
}

// A union (anyOf) is searched branch by branch: the value validated, so the branch that
// declares the key is the one it matched.
function childSchema(schema: SchemaNode | undefined, key: string): SchemaNode | undefined {
  for (const b of schema?.anyOf ?? (schema ? [schema] : [])) {
    const direct = b.properties?.[key];
    if (direct) return direct;
    for (const [pat, s] of Object.entries(b.patternProperties ?? {})) if (new RegExp(pat).test(key)) return s;
    if (typeof b.additionalProperties === 'object') return b.additionalProperties;
  }
  return undefined;
}

function itemSchema(schema: SchemaNode | undefined): SchemaNode | undefined {
  return schema?.items ?? schema?.anyOf?.find((b) => b.items)?.items;
}
