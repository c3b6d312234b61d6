// The effective config as the admin API shows it: fields the schema marks as secret are
// replaced, and so is any other string that contains a secret value (a key pasted into a
// URL, an env value reused elsewhere).
import { REDACTED } from './secret.js';
import { ConfigSchema } from './schema.js';
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
  return redactValue(rt.source, ConfigSchema as unknown as SchemaNode, rt.secrets);
}

/** Replaces every occurrence of a secret in a string (raw, base64 and URL-encoded forms). */
export function scrubSecrets(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) {
    for (const form of secretForms(s)) if (out.includes(form)) out = out.split(form).join(REDACTED);
  }
  return out;
}

export function secretForms(s: string): string[] {
  const forms = new Set([s, encodeURIComponent(s), Buffer.from(s).toString('base64')]);
  return [...forms];
}

function redactValue(value: unknown, schema: SchemaNode | undefined, secrets: readonly string[]): unknown {
  if (schema?.['x-secret']) return REDACTED;
  if (typeof value === 'string') return scrubSecrets(value, secrets);
  if (Array.isArray(value)) return value.map((v) => redactValue(v, schema?.items, secrets));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = redactValue(v, childSchema(schema, k, v), secrets);
    return out;
  }
  return value;
}

function childSchema(schema: SchemaNode | undefined, key: string, value: unknown): SchemaNode | undefined {
  if (!schema) return undefined;
  const branches = schema.anyOf ?? [schema];
  for (const b of branches) {
    const direct = b.properties?.[key];
    if (direct) return direct;
    if (b.patternProperties) for (const [pat, s] of Object.entries(b.patternProperties)) if (new RegExp(pat).test(key)) return s;
    if (typeof b.additionalProperties === 'object') return b.additionalProperties;
  }
  void value;
  return undefined;
}
