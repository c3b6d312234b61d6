// Loading a config file: YAML with source positions → ${VAR} interpolation → schema
// validation (closed objects, precise paths, nearest-key suggestions) → semantic checks.
// The output is a validated plain object plus the source map needed to point at lines;
// compile.ts turns it into the frozen runtime model.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Ajv, type ErrorObject } from 'ajv';
import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, parse as parseYamlValue, visit, type Document, type Node as YamlNode, Scalar } from 'yaml';
import { ConfigSchema, type Config } from './schema.js';
import { ConfigError, formatPath, nearest, type ConfigIssue } from './errors.js';
import { semanticIssues } from './semantic.js';

type Segment = string | number;
type Env = Readonly<Record<string, string | undefined>>;

const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true });
ajv.addKeyword({ keyword: 'x-secret', schemaType: 'boolean' });
const validateSchema = ajv.compile(ConfigSchema);

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
  /** Values substituted from the environment, so redaction can find them anywhere. */
  envValues: ReadonlySet<string>;
}

export function loadConfigFile(file: string, env: Env = process.env): LoadedConfig {
  const abs = resolve(file);
  let text: string;
  try {
    text = readFileSync(abs, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'EIO';
    throw new ConfigError(abs, [{ path: '', line: 1, column: 1, message: code === 'ENOENT' ? 'file not found' : `cannot read file (${code})` }]);
  }
  return loadConfigText(text, abs, env);
}

export function loadConfigText(text: string, file: string, env: Env = process.env): LoadedConfig {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true, strict: true });
  const pos = (offset: number) => {
    const p = lineCounter.linePos(offset);
    return { line: p.line, column: p.col };
  };

  const syntax = [...doc.errors, ...doc.warnings];
  if (syntax.length > 0) {
    throw new ConfigError(file, syntax.map((e) => ({ path: pathAtOffset(doc, e.pos[0]), ...pos(e.pos[0]), message: yamlMessage(e.message) })));
  }

  const envValues = new Set<string>();
  const interpolationIssues = interpolate(doc, env, envValues, pos);
  if (interpolationIssues.length > 0) throw new ConfigError(file, interpolationIssues);

  const data: unknown = doc.toJS({ maxAliasCount: 100 });
  if (data === null || data === undefined || typeof data !== 'object' || Array.isArray(data)) {
    throw new ConfigError(file, [{ path: '', line: 1, column: 1, message: 'the file must be a YAML mapping with at least `listeners:`' }]);
  }

  const positionOf = (path: readonly Segment[], preferKey = false) => {
    const found = nodeAt(doc, path, preferKey);
    return found?.range ? pos(found.range[0]) : { line: 1, column: 1 };
  };

  if (!validateSchema(data)) {
    throw new ConfigError(file, schemaIssues(validateSchema.errors ?? [], positionOf));
  }
  const config = data as Config;
  const semantic = semanticIssues(config).map((s) => ({ path: formatPath(s.path), ...positionOf(s.path), message: s.message }));
  if (semantic.length > 0) throw new ConfigError(file, semantic);

  return { config, file, baseDir: resolve(file, '..'), text, positionOf: (p) => positionOf(p), envValues };
}

const REF = /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

/** Replaces ${VAR} and ${VAR:-default} in string scalars; "$$" is a literal "$". */
function interpolate(doc: Document, env: Env, envValues: Set<string>, pos: (o: number) => { line: number; column: number }): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  visit(doc, {
    Scalar(key, node, path) {
      if (key === 'key' || typeof node.value !== 'string' || !node.value.includes('$')) return;
      const raw = node.value;
      let whole = false;
      const out = raw.replace(REF, (m: string, name: string | undefined, def: string | undefined, offset: number) => {
        if (m === '$$') return '$';
        if (offset === 0 && m.length === raw.length) whole = true;
        const value = env[name!];
        if (value === undefined || (value === '' && def !== undefined)) {
          if (def !== undefined) return def;
          const segs = pathOfVisit(path, node);
          issues.push({ path: formatPath(segs), ...pos(node.range?.[0] ?? 0), message: `environment variable ${name!} is not set (use \${${name!}:-default} for a default)` });
          return '';
        }
        if (value !== '') envValues.add(value);
        return value;
      });
      if (out === raw) return;
      // An unquoted `port: ${PORT}` should yield a number, as if the value had been typed there.
      if (whole && node.type === Scalar.PLAIN) {
        const typed: unknown = safeScalar(out);
        node.value = typed;
      } else {
        node.value = out;
      }
    },
  });
  return issues;
}

function safeScalar(s: string): unknown {
  try {
    const v: unknown = parseYamlValue(s);
    return typeof v === 'number' || typeof v === 'boolean' ? v : s;
  } catch {
    return s;
  }
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

function yamlMessage(m: string): string {
  return m.split('\n')[0]!.replace(/ at line \d+, column \d+.*$/, '');
}

function pointerToPath(ptr: string): Segment[] {
  if (ptr === '') return [];
  return ptr.slice(1).split('/').map((s) => {
    const u = s.replace(/~1/g, '/').replace(/~0/g, '~');
    return /^\d+$/.test(u) ? Number(u) : u;
  });
}

/** Picks the clearest message per location from ajv's errors. */
function schemaIssues(errors: ErrorObject[], positionOf: (p: readonly Segment[], preferKey?: boolean) => { line: number; column: number }): ConfigIssue[] {
  const unionPaths = errors.filter((e) => e.keyword === 'anyOf').map((e) => e.instancePath);
  const underUnion = (p: string) => unionPaths.some((u) => p === u || p.startsWith(u + '/'));
  const issues: ConfigIssue[] = [];
  const seen = new Set<string>();
  for (const e of errors) {
    if (e.keyword !== 'anyOf' && underUnion(e.instancePath)) continue;
    const base = pointerToPath(e.instancePath);
    let path = base;
    let message: string;
    let preferKey = false;
    switch (e.keyword) {
      case 'additionalProperties': {
        const key = String((e.params as { additionalProperty: string }).additionalProperty);
        path = [...base, key];
        preferKey = true;
        const props = Object.keys((e.parentSchema as { properties?: object }).properties ?? {});
        const hint = nearest(key, props);
        message = `unknown key "${key}"` + (hint ? `; did you mean "${hint}"?` : props.length ? `; valid keys: ${props.join(', ')}` : '');
        break;
      }
      case 'required':
        message = `missing required key "${(e.params as { missingProperty: string }).missingProperty}"`;
        break;
      case 'anyOf': {
        const desc = (e.parentSchema as { description?: string }).description;
        message = desc ? `must be ${lowerFirst(desc)}` : 'has an invalid value';
        break;
      }
      case 'minProperties':
      case 'maxProperties': {
        const props = Object.keys((e.parentSchema as { properties?: object }).properties ?? {});
        message = `must set exactly one of: ${props.join(', ')}`;
        break;
      }
      case 'pattern': {
        const desc = (e.parentSchema as { description?: string }).description;
        message = desc ? `must be ${lowerFirst(desc)}` : `must match ${String((e.params as { pattern: string }).pattern)}`;
        break;
      }
      default:
        message = e.message ?? 'is invalid';
    }
    const key = `${formatPath(path)}\u0000${message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    issues.push({ path: formatPath(path), ...positionOf(path, preferKey), message });
  }
  return issues;
}

function lowerFirst(s: string): string {
  const t = s.replace(/\.$/, '');
  return /^[A-Z][a-z]/.test(t) ? t[0]!.toLowerCase() + t.slice(1) : t;
}
