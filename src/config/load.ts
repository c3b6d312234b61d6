// Loading a config file: YAML with source positions (references shielded from the
// parser, see shieldReferences) → ${VAR} interpolation → schema
// validation (closed objects, precise paths, nearest-key suggestions) → semantic checks.
// The output is a validated plain object plus the source map needed to point at lines;
// compile.ts turns it into the frozen runtime model.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, visit, type Document, type Node as YamlNode, type YAMLError, Scalar } from 'yaml';
import { configSchema, type Config } from './schema.js';
import { ConfigError, fileErrorText, formatPath, nearest, type ConfigIssue } from './errors.js';
import { semanticIssues } from './semantic.js';
import type { ConfigExtensions, Env, Segment } from './kind.js';

/** The validator of the schema with these kinds, compiled once per list. */
const validators = new WeakMap<ConfigExtensions['backendKinds'], ValidateFunction>();
function validatorFor(kinds: ConfigExtensions['backendKinds']): ValidateFunction {
  let v = validators.get(kinds);
  if (v === undefined) {
    // verbose: errors carry their schema, which the messages below read (allowed keys for a
    // suggestion, a union's branches, `x-expected`). Loading is not a hot path. One Ajv per
    // list: every schema has the same $id, which one Ajv holds only once.
    const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true, verbose: true });
    for (const keyword of ['x-secret', 'x-expected', 'x-key']) ajv.addKeyword({ keyword });
    v = ajv.compile(configSchema(kinds));
    validators.set(kinds, v);
  }
  return v;
}

export interface LoadedConfig {
  config: Config;
  /** Absolute path of the file (or a label for text loaded from memory). */
  file: string;
  /** Folder that relative paths in the config are resolved against. */
  baseDir: string;
  /** Source text, kept to compare on reload. */
  text: string;
  /** Finds the position of a YAML path, for errors raised after loading (compile step). */
  positionOf(path: readonly Segment[]): { line: number; column: number };
  /** Values substituted from the environment: config errors never quote any of them. */
  envValues: ReadonlySet<string>;
  /**
   * Values of variables whose names say they are secret (…KEY, …TOKEN, …SECRET, …PASSWORD,
   * …CREDENTIAL(S), …AUTH…): redacted everywhere, like fields the schema marks secret. Other
   * values (an upstream URL, a port) stay visible in /config so operators can read it.
   */
  secretEnvValues: ReadonlySet<string>;
  /** The environment the file was loaded with (a kind may read credentials from it at load). */
  env?: Env;
  /** The backend kinds and policy checks it was validated with; compile.ts uses the same. */
  extensions: ConfigExtensions;
}

const SECRET_ENV_NAME = /KEY|TOKEN|SECRET|PASS|CREDENTIAL|AUTH|PRIVATE|SESSION|COOKIE/i;

export function loadConfigFile(ext: ConfigExtensions, file: string, env: Env = process.env): LoadedConfig {
  const abs = resolve(file);
  let text: string;
  try {
    text = readFileSync(abs, 'utf8');
  } catch (err) {
    throw new ConfigError(abs, [{ path: '', line: 1, column: 1, message: `cannot read the config file: ${fileErrorText(err)}` }]);
  }
  return loadConfigText(ext, text, abs, env);
}

export function loadConfigText(ext: ConfigExtensions, text: string, file: string, env: Env = process.env): LoadedConfig {
  const lineCounter = new LineCounter();
  const shielded = shieldReferences(text);
  const doc = parseDocument(shielded?.text ?? text, { lineCounter, prettyErrors: false, uniqueKeys: true, strict: true });
  if (shielded !== null) restoreReferences(doc, shielded.spans);
  const pos = (offset: number) => {
    const p = lineCounter.linePos(offset);
    return { line: p.line, column: p.col };
  };

  const syntax = [...doc.errors, ...doc.warnings];
  if (syntax.length > 0) throw new ConfigError(file, syntaxIssues(syntax, text, doc, pos));

  const envValues = new Set<string>();
  const secretEnvValues = new Set<string>();
  const interpolationIssues = interpolate(doc, env, envValues, secretEnvValues, pos);
  if (interpolationIssues.length > 0) throw new ConfigError(file, interpolationIssues, envValues);

  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    // toJS throws only on alias abuse (a "billion laughs" file); report it like any other issue.
    throw new ConfigError(file, [{ path: '', line: 1, column: 1, message: `cannot expand YAML aliases: ${(err as Error).message}` }], envValues);
  }
  if (data === null || data === undefined || typeof data !== 'object' || Array.isArray(data)) {
    const at = doc.contents?.range ? pos(doc.contents.range[0]) : { line: 1, column: 1 };
    const what = data === null || data === undefined ? 'the file is empty' : `the file holds ${Array.isArray(data) ? 'a list' : `a ${typeof data}`}`;
    throw new ConfigError(file, [{ path: '', ...at, message: `${what}; it must be a YAML mapping with at least \`listeners:\`` }], envValues);
  }

  const positionOf = (path: readonly Segment[], preferKey = false) => {
    const found = nodeAt(doc, path, preferKey);
    return found?.range ? pos(found.range[0]) : { line: 1, column: 1 };
  };

  const validateSchema = validatorFor(ext.backendKinds);
  if (!validateSchema(data)) {
    throw new ConfigError(file, schemaIssues(validateSchema.errors ?? [], data, positionOf), envValues);
  }
  const config = data as Config;
  const semantic = semanticIssues(config, ext.backendKinds).map((s) => ({ path: formatPath(s.path), ...positionOf(s.path), message: s.message }));
  if (semantic.length > 0) throw new ConfigError(file, byPosition(semantic), envValues);

  return { config, file, baseDir: resolve(file, '..'), text, positionOf: (p) => positionOf(p), envValues, secretEnvValues, env, extensions: ext };
}

// `${VAR}` must work inside `{ }` and `[ ]` too, where YAML reads `{`, `}` and `,` as
// structure: `http: { url: ${UPSTREAM} }` would not parse. So before parsing, each
// single-line `${...}` in the text is swapped for a placeholder of the same length made of
// private-use characters (plain-scalar-safe in flow and block style alike, and
// same-length so every line and column YAML or a later error reports is the file's own).
// After parsing, the placeholders in scalars are swapped back for their original text,
// and interpolation then runs on the parsed values exactly as it would have without the
// shield. A span is shielded only when its text means the same in every scalar style:
// no quote or backslash (escapes), no line break (folding), no ` #` (a comment starts
// there in plain style), and not part of an anchor, alias or tag. Those, and files that
// already hold private-use characters, parse as they did before. Comments are never substituted: they are not values.
const SHIELDABLE = /\$\{[^}\n\r"'\\]*\}/g;
const SHIELD_START = 0xe000;
const SHIELD_END = 0xe001;
/** Digits of a span's index: the rest of the private-use area. */
const SHIELD_DIGIT = 0xe002;
const SHIELD_BASE = 0xf8ff - SHIELD_DIGIT + 1;
const PRIVATE_USE = /[\ue000-\uf8ff]/;
const PLACEHOLDER = /\ue000[\ue002-\uf8ff]*\ue001/g;
/** The text before a span ends inside an anchor, alias or tag (`&a${X}`, `*${X}`, `!${X}`): names, not values. */
const IN_NODE_PROPERTY = /(?:^|[\s[{,])[&*!][^\s[\]{},]*$/;

/** The text with references shielded and the original text of each placeholder; null when there is nothing to shield. */
function shieldReferences(text: string): { text: string; spans: Map<string, string> } | null {
  if (!text.includes('${') || PRIVATE_USE.test(text)) return null;
  // The same text gets the same placeholder, so duplicate keys are still caught.
  const placeholders = new Map<string, string>();
  const spans = new Map<string, string>();
  const out = text.replace(SHIELDABLE, (m: string, offset: number) => {
    if (/\s#/.test(m) || IN_NODE_PROPERTY.test(text.slice(text.lastIndexOf('\n', offset - 1) + 1, offset))) return m;
    const known = placeholders.get(m);
    if (known !== undefined) return known;
    const p = placeholder(spans.size, m.length);
    if (p === null) return m;
    placeholders.set(m, p);
    spans.set(p, m);
    return p;
  });
  return spans.size === 0 ? null : { text: out, spans };
}

/** `length` characters: start, the index in base SHIELD_BASE, end; null when the index does not fit. */
function placeholder(index: number, length: number): string | null {
  const digits: string[] = [];
  for (let i = 0; i < length - 2; i++) {
    digits.push(String.fromCharCode(SHIELD_DIGIT + (index % SHIELD_BASE)));
    index = Math.floor(index / SHIELD_BASE);
  }
  if (index > 0) return null;
  return String.fromCharCode(SHIELD_START) + digits.join('') + String.fromCharCode(SHIELD_END);
}

/** Puts each shielded span's text back into the scalars (keys too) that hold it, and into YAML's messages. */
function restoreReferences(doc: Document, spans: ReadonlyMap<string, string>): void {
  const restore = (v: string) => v.replace(PLACEHOLDER, (p) => spans.get(p) ?? p);
  for (const e of [...doc.errors, ...doc.warnings]) if (e.message.includes('\ue000')) e.message = restore(e.message);
  visit(doc, {
    Scalar(_key, node) {
      if (typeof node.value === 'string' && node.value.includes('\ue000')) node.value = restore(node.value);
      if (typeof node.source === 'string' && node.source.includes('\ue000')) node.source = restore(node.source);
    },
  });
}

// `$$` is a literal `$`; `${NAME}` and `${NAME:-default}` are references; any other `${`
// is an error, so a typo such as `${OPENAI_KEY` is caught instead of sent as a key.
const REF = /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}|\$\{/g;

/** Replaces ${VAR} and ${VAR:-default} in string scalars (values only, never keys). */
function interpolate(doc: Document, env: Env, envValues: Set<string>, secretEnvValues: Set<string>, pos: (o: number) => { line: number; column: number }): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  visit(doc, {
    Scalar(key, node, path) {
      if (key === 'key' || typeof node.value !== 'string' || !node.value.includes('$')) return;
      const raw = node.value;
      const where = () => ({ path: formatPath(pathOfVisit(path, node)), ...pos(node.range?.[0] ?? 0) });
      let whole = false;
      const out = raw.replace(REF, (m: string, name: string | undefined, def: string | undefined, offset: number) => {
        if (m === '$$') return '$';
        if (name === undefined) {
          issues.push({ ...where(), message: 'invalid variable reference: write ${NAME} or ${NAME:-default}, and $${ for a literal "${"' });
          return m;
        }
        if (offset === 0 && m.length === raw.length) whole = true;
        const value = env[name];
        // As in the shell, `:-` also applies when the variable is set but empty.
        if (value === undefined || (value === '' && def !== undefined)) {
          if (def !== undefined) return def;
          issues.push({ ...where(), message: `environment variable ${name} is not set (use \${${name}:-default} for a default)` });
          return '';
        }
        if (value !== '') {
          envValues.add(value);
          if (SECRET_ENV_NAME.test(name)) secretEnvValues.add(value);
        }
        return value;
      });
      if (out === raw) return;
      // An unquoted `port: ${PORT}` should yield a number, as if the value had been typed there.
      node.value = whole && node.type === Scalar.PLAIN ? plainScalar(out) : out;
    },
  });
  return issues;
}

/** What `out` would be had it been typed unquoted: a number or boolean, else the string. */
function plainScalar(out: string): unknown {
  // parseDocument, not parse(): it never logs warnings to the console.
  const d = parseDocument(out);
  if (d.errors.length > 0 || d.warnings.length > 0 || !isScalar(d.contents)) return out;
  const v = d.contents.value;
  return typeof v === 'number' || typeof v === 'boolean' ? v : out;
}

/** Turns the ancestry the yaml visitor gives into a config path. */
function pathOfVisit(path: readonly unknown[], node: unknown): Segment[] {
  const segs: Segment[] = [];
  const chain = [...path, node];
  for (let i = 0; i < chain.length - 1; i++) {
    const parent = chain[i];
    const child = chain[i + 1];
    if (isSeq(parent)) segs.push(parent.items.indexOf(child));
    else if (isPair(child) && isScalar(child.key)) segs.push(String(child.key.value));
  }
  return segs;
}

function nodeAt(doc: Document, path: readonly Segment[], preferKey: boolean): YamlNode | undefined {
  let node: unknown = doc.contents;
  let keyNode: unknown;
  for (const seg of path) {
    keyNode = undefined;
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(seg));
      if (!pair) return node;
      keyNode = pair.key;
      node = pair.value ?? pair.key;
    } else if (isSeq(node) && typeof seg === 'number') {
      const next: unknown = node.items[seg];
      if (next === undefined) return node;
      node = next;
    } else {
      return node as YamlNode;
    }
  }
  return (preferKey && keyNode ? keyNode : node) as YamlNode;
}

function pathAtOffset(doc: Document, offset: number): string {
  const segs: Segment[] = [];
  let node: unknown = doc.contents;
  for (;;) {
    if (isMap(node)) {
      const pair = node.items.find((p) => {
        const v = (p.value ?? p.key) as YamlNode | null;
        const k = p.key as YamlNode | null;
        const start = k?.range?.[0] ?? 0;
        const end = v?.range?.[2] ?? k?.range?.[2] ?? 0;
        return offset >= start && offset <= end;
      });
      if (!pair || !isScalar(pair.key)) break;
      segs.push(String(pair.key.value));
      node = pair.value;
    } else if (isSeq(node)) {
      const idx = node.items.findIndex((it) => {
        const r = (it as YamlNode).range;
        return r !== undefined && r !== null && offset >= r[0] && offset <= r[2];
      });
      if (idx < 0) break;
      segs.push(idx);
      node = node.items[idx];
    } else break;
  }
  return formatPath(segs);
}

/**
 * One issue per line: after a syntax error the parser reports every following token on
 * that line as unexpected, which buries the first, useful message.
 */
function syntaxIssues(errors: readonly YAMLError[], text: string, doc: Document, pos: (o: number) => { line: number; column: number }): ConfigIssue[] {
  const lines = text.split(/\r?\n/);
  const byLine = new Map<number, ConfigIssue>();
  for (const e of [...errors].sort((a, b) => a.pos[0] - b.pos[0])) {
    const at = pos(e.pos[0]);
    if (byLine.has(at.line)) continue;
    let message = yamlMessage(e.message);
    // A reference the shield above leaves alone (a quote, a backslash or ` #` inside it)
    // still reads as a nested mapping inside { } or [ ].
    if (/\$\{/.test(lines[at.line - 1] ?? '') && /flow|Unexpected/.test(message)) message += ' (inside { } or [ ], quote values that contain ${...})';
    byLine.set(at.line, { path: pathAtOffset(doc, e.pos[0]), ...at, message });
  }
  return [...byLine.values()];
}

function yamlMessage(m: string): string {
  const first = m.split('\n')[0]!.replace(/ at line \d+, column \d+.*$/, '');
  return first.startsWith('Map keys must be unique') ? 'duplicate key: each key may appear only once in a mapping' : first;
}

function pointerToPath(ptr: string): Segment[] {
  if (ptr === '') return [];
  return ptr.slice(1).split('/').map((s) => {
    const u = s.replace(/~1/g, '/').replace(/~0/g, '~');
    return /^\d+$/.test(u) ? Number(u) : u;
  });
}

/** The parts of a JSON Schema node the messages read (ajv's `verbose` gives us the node). */
interface SchemaNode {
  type?: string;
  description?: string;
  properties?: Record<string, unknown>;
  patternProperties?: Record<string, unknown>;
  'x-expected'?: string;
  'x-key'?: string;
}

type PositionOf = (p: readonly Segment[], preferKey?: boolean) => { line: number; column: number };

/**
 * Turns ajv's errors into one clear message per problem. A union (anyOf) fails with an
 * error from every branch; when the value is a mapping or a list and exactly one branch
 * takes that shape, that branch's errors are the useful ones (so `admin: { hots: x }` says
 * `unknown key "hots"; did you mean "host"?`). Otherwise the union gets one message.
 */
function schemaIssues(errors: readonly ErrorObject[], data: unknown, positionOf: PositionOf): ConfigIssue[] {
  const unions = errors.filter((e) => e.keyword === 'anyOf');
  const chosen = new Map(unions.map((u) => [u, fittingBranch(u, data)] as const));
  const inside = (e: ErrorObject, u: ErrorObject) => e !== u && e.schemaPath.startsWith(`${u.schemaPath}/`)
    && (e.instancePath === u.instancePath || e.instancePath.startsWith(`${u.instancePath}/`));
  const shown = (e: ErrorObject) => unions.every((u) => {
    if (!inside(e, u)) return true;
    const b = chosen.get(u)!;
    return b >= 0 && e.schemaPath.startsWith(`${u.schemaPath}/${b}/`);
  });

  const issues: ConfigIssue[] = [];
  const seen = new Set<string>();
  for (const e of errors) {
    if (!shown(e) || (e.keyword === 'anyOf' && chosen.get(e)! >= 0)) continue;
    const { path, message, preferKey } = describeError(e, pointerToPath(e.instancePath));
    const key = `${formatPath(path)}\u0000${message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    issues.push({ path: formatPath(path), ...positionOf(path, preferKey), message });
  }
  return byPosition(issues);
}

/** The index of the one branch of a union whose type fits a mapping or list value, else -1. */
function fittingBranch(u: ErrorObject, data: unknown): number {
  const value = valueAt(data, pointerToPath(u.instancePath));
  const shape = Array.isArray(value) ? 'array' : value !== null && typeof value === 'object' ? 'object' : undefined;
  if (shape === undefined || !Array.isArray(u.schema)) return -1;
  const fits = (u.schema as SchemaNode[]).flatMap((b, i) => (b.type === shape ? [i] : []));
  return fits.length === 1 ? fits[0]! : -1;
}

function valueAt(data: unknown, path: readonly Segment[]): unknown {
  let v = data;
  for (const seg of path) v = v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[String(seg)] : undefined;
  return v;
}

const TYPE_WORDS: Record<string, string> = {
  object: 'a mapping (key: value)', array: 'a list', integer: 'an integer', number: 'a number', string: 'a string', boolean: 'true or false', null: 'empty',
};

function describeError(e: ErrorObject, base: Segment[]): { path: Segment[]; message: string; preferKey: boolean } {
  const parent = (e.parentSchema ?? {}) as SchemaNode;
  const params = e.params as Record<string, unknown>;
  const expected = parent['x-expected'];
  switch (e.keyword) {
    case 'additionalProperties': {
      const key = String(params.additionalProperty);
      const props = Object.keys(parent.properties ?? {});
      if (props.length === 0 && parent['x-key']) return { path: [...base, key], preferKey: true, message: `invalid key "${key}": must be ${parent['x-key']}` };
      const hint = nearest(key, props);
      const message = `unknown key "${key}"` + (hint ? `; did you mean "${hint}"?` : props.length ? `; valid keys: ${props.join(', ')}` : '');
      return { path: [...base, key], preferKey: true, message };
    }
    case 'required':
      return { path: base, preferKey: false, message: `missing required key "${String(params.missingProperty)}"` };
    case 'anyOf':
      return { path: base, preferKey: false, message: `must be ${expected ?? (parent.description ? lowerFirst(parent.description) : 'a valid value')}` };
    case 'minProperties':
    case 'maxProperties':
      return { path: base, preferKey: false, message: `must set exactly one of: ${Object.keys(parent.properties ?? {}).join(', ')}` };
    case 'pattern':
      return { path: base, preferKey: false, message: `must be ${expected ?? `a string matching ${String(params.pattern)}`}` };
    case 'enum':
      return { path: base, preferKey: false, message: `must be one of: ${(params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}` };
    case 'const':
      return { path: base, preferKey: false, message: `must be ${JSON.stringify(params.allowedValue)}` };
    case 'type': {
      const types = String(params.type).split(',');
      return { path: base, preferKey: false, message: `must be ${types.map((t) => TYPE_WORDS[t] ?? t).join(' or ')}` };
    }
    default:
      return { path: base, preferKey: false, message: e.message ?? 'is invalid' };
  }
}

function byPosition(issues: ConfigIssue[]): ConfigIssue[] {
  return issues.sort((a, b) => a.line - b.line || a.column - b.column);
}

function lowerFirst(s: string): string {
  const t = s.replace(/\.$/, '');
  return /^[A-Z][a-z]/.test(t) ? t[0]!.toLowerCase() + t.slice(1) : t;
}
