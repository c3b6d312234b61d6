// Generates the committed artefacts that come from src/config/schema.ts and the schema
// fragments of the registered backend kinds (src/gateway/kinds.ts):
//   schema/agentedge.schema.json  the JSON Schema (editors, other tools)
//   docs/config.md                the key reference, from the schema's descriptions
// Run `npm run schema` after changing schema.ts; test/config/schema-drift.test.ts fails
// while the committed files differ from what this renders. Rendering is pure (no clock,
// no environment), so the output depends on the schema source alone.
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { CONFIG_SCHEMA as ConfigSchema } from '../src/gateway/config.js';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const SCHEMA_FILE = 'schema/agentedge.schema.json';
export const DOCS_FILE = 'docs/config.md';

/** The shape of the schema nodes this script reads. */
interface Node {
  type?: string;
  title?: string;
  description?: string;
  default?: unknown;
  const?: unknown;
  enum?: unknown[];
  minimum?: number;
  maximum?: number;
  required?: string[];
  properties?: Record<string, Node>;
  patternProperties?: Record<string, Node>;
  items?: Node;
  anyOf?: Node[];
  'x-secret'?: boolean;
}

// ---------------------------------------------------------------------------------------
// JSON Schema

// Keywords in reading order; any other keyword follows, alphabetically. The members of
// `properties` keep their source order, which is the order the docs explain them in.
const KEYWORD_ORDER = [
  '$schema', '$id', 'title', 'description', 'type', 'const', 'enum', 'default', 'x-secret', 'x-expected', 'x-key',
  'pattern', 'minLength', 'maxLength', 'minimum', 'maximum', 'minItems', 'minProperties', 'maxProperties',
  'required', 'additionalProperties', 'properties', 'patternProperties', 'items', 'anyOf',
];
const NAME_MAPS = new Set(['properties', 'patternProperties']);

function canonical(value: unknown, keepOrder = false): unknown {
  if (Array.isArray(value)) return value.map((v) => canonical(v));
  if (value === null || typeof value !== 'object') return value;
  const entries = Object.entries(value);
  if (!keepOrder) {
    const rank = (k: string) => { const i = KEYWORD_ORDER.indexOf(k); return i < 0 ? KEYWORD_ORDER.length : i; };
    entries.sort(([a], [b]) => rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0));
  }
  // JSON.stringify drops TypeBox's symbol-keyed metadata; Object.entries never sees it.
  return Object.fromEntries(entries.map(([k, v]) => [k, canonical(v, !keepOrder && NAME_MAPS.has(k))]));
}

export function renderSchemaJson(): string {
  const withMeta = { $schema: 'http://json-schema.org/draft-07/schema#', ...ConfigSchema };
  return `${JSON.stringify(canonical(withMeta), null, 2)}\n`;
}

// ---------------------------------------------------------------------------------------
// docs/config.md

interface Row { path: string; type: string; default: string; description: string }

function typeOf(n: Node): string {
  if (n.title === 'duration' || n.title === 'size') return n.title;
  if (n.enum) return n.enum.map((v) => JSON.stringify(v)).join(' | ');
  if (n.const !== undefined) return JSON.stringify(n.const);
  if (n.anyOf) return [...new Set(n.anyOf.map(typeOf))].join(' or ');
  switch (n.type) {
    case 'array': return `list of ${n.items ? typeOf(n.items) : 'any'}`;
    case 'object': return n.patternProperties ? 'map' : 'mapping';
    case 'integer':
      return n.minimum !== undefined && n.maximum !== undefined ? `integer ${n.minimum}–${n.maximum}` : n.minimum !== undefined ? `integer ≥ ${n.minimum}` : 'integer';
    default: return n.type ?? 'any';
  }
}

function cell(s: string): string {
  return s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

function defaultOf(n: Node, required: boolean): string {
  if (required) return 'required';
  if (n.default === undefined) return '';
  return `\`${Array.isArray(n.default) ? n.default.join(', ') : typeof n.default === 'string' ? n.default : JSON.stringify(n.default)}\``;
}

/** Every key under `n`, depth first in source order, as `a.b[].c` / `map.<name>.d` paths. */
function rows(n: Node, path: string, out: Row[]): Row[] {
  const objects = n.anyOf ? n.anyOf.filter((b) => b.type === 'object') : [n];
  for (const o of objects) {
    for (const [key, child] of Object.entries(o.properties ?? {})) {
      const p = path === '' ? key : `${path}.${key}`;
      const description = (child.description ?? '') + (child['x-secret'] ? ' Secret: redacted in the admin API, logs and errors.' : '');
      out.push({ path: p, type: typeOf(child), default: defaultOf(child, o.required?.includes(key) ?? false), description });
      descend(child, p, out);
    }
  }
  return out;
}

function descend(child: Node, p: string, out: Row[]): void {
  if (child.type === 'array' && child.items) {
    if (child.items.properties || child.items.anyOf) rows(child.items, `${p}[]`, out);
  } else if (child.patternProperties) {
    const value = Object.values(child.patternProperties)[0]!;
    const placeholder = p.endsWith('headers') ? '<header>' : '<name>';
    out.push({ path: `${p}.${placeholder}`, type: typeOf(value), default: '', description: value.description ?? '' });
    rows(value, `${p}.${placeholder}`, out);
  } else {
    rows(child, p, out);
  }
}

/** A config that shows most keys; test/config/docs-example.test.ts checks that it is valid. */
export const DOCS_EXAMPLE = `gateway:
  admin: { host: 127.0.0.1, port: 15000, token: "\${ADMIN_TOKEN}" }
  accessLog: { format: json }
  drainTimeout: 30s
  reload: { watch: true }

listeners:
  - name: edge
    host: 0.0.0.0
    port: \${PORT:-8443}
    tls: { cert: ./tls/cert.pem, key: ./tls/key.pem }   # relative to this file's folder
    policies: [browser]
    limits: { maxBodyBytes: 4mb, headersTimeout: 10s }
    routes:
      - name: api
        match:
          path: /api
          host: [api.example.com, "*.api.example.com"]
          methods: [GET, POST]
          headers:
            x-tenant: { regex: "^[a-z]+$" }
            x-debug: { present: false }
        stripPrefix: true
        backend: app
      - name: uploads
        match: { path: /upload }
        limits: { maxBodyBytes: 64mb }
        backend: app

backends:
  app:
    http:
      url: http://127.0.0.1:3000
      connections: 64
      timeouts: { connect: 2s, response: 30s }

policies:
  browser:
    cors:
      allowOrigins: ["https://app.example.com", "https://*.example.com"]
      allowCredentials: true
      maxAge: 10m
`;

const INTRO = `# Configuration reference

<!-- Generated by \`npm run schema\` from src/config/schema.ts and the schema fragments of
     the backend kinds (src/gateway/kinds.ts lists them; e.g. src/llm/config-schema.ts).
     Do not edit by hand: change the descriptions there and run \`npm run schema\`. -->

agentedge reads one YAML file. It defines **listeners** (where traffic comes in), their
**routes** (which requests go where), **backends** (the upstreams) and **policies**
(behaviour shared by routes, such as CORS). \`gateway:\` holds process-level settings.

- **Check a file** with \`agentedge validate FILE\`: exit 0 when valid; otherwise every
  problem is printed on stderr as \`path (line L, column C): message\` and the exit code is 1.
  The gateway validates the same way before it binds any port, and a bad file on reload
  keeps the old config serving.
- **Every mapping is closed**: an unknown key is an error that names its path and position
  and suggests the nearest valid key (\`listners\` → did you mean \`listeners\`?).
- **Environment variables**: \`\${VAR}\` is replaced by the variable's value, \`\${VAR:-default}\`
  uses \`default\` when \`VAR\` is unset or empty, and \`$$\` is a literal \`$\`. A missing variable
  is an error that names the variable. An unquoted reference that is the whole value is
  typed as if written there (\`port: \${PORT}\` is a number). References work unquoted in
  flow style too (\`http: { url: \${UPSTREAM} }\`, \`[\${A}, \${B}]\`). Keys and comments are never
  substituted.
- **Secrets**: every value read from the environment, and \`gateway.admin.token\`, is
  treated as secret: it is redacted (also base64- and URL-encoded) from errors, logs and
  the admin API's \`/config\`.
- **Durations** are milliseconds as a number, or a string with a unit: \`500ms\`, \`30s\`,
  \`5m\`, \`1h\` (decimals allowed, e.g. \`1.5s\`), at most about 24 days.
  **Sizes** are bytes as a number, or a string: \`512b\`, \`64kb\`, \`16mb\`, \`1gb\` (units of 1024).
- **Names** (listeners, routes, backends, policies) are 1 to 64 letters, digits, \`.\`, \`_\`
  or \`-\`, starting with a letter or digit. Listener names and ports are unique; route
  names are unique within their listener; every backend and policy a route names must exist.
- **Relative paths** (TLS files) are relative to the config file's folder.
- **Editor support**: the JSON Schema is in \`${SCHEMA_FILE}\`; with the YAML language server,
  start the file with \`# yaml-language-server: $schema=<path to ${SCHEMA_FILE}>\`.

## Example

\`\`\`yaml
${DOCS_EXAMPLE}\`\`\`
`;

const SECTIONS: { key: string; title: string }[] = [
  { key: 'gateway', title: 'gateway' },
  { key: 'listeners', title: 'listeners' },
  { key: 'backends', title: 'backends' },
  { key: 'policies', title: 'policies' },
];

export function renderConfigDocs(): string {
  const schema = ConfigSchema as unknown as Node;
  const all = rows(schema, '', []);
  let out = `${INTRO}\n## Keys\n\nA key marked *required* must be present when its parent is; every other key may be left out.\n`;
  for (const s of SECTIONS) {
    const top = schema.properties?.[s.key];
    out += `\n### \`${s.title}\`\n\n${top?.description ?? ''}\n\n| key | type | default | description |\n|---|---|---|---|\n`;
    for (const r of all.filter((x) => x.path === s.key || x.path.startsWith(`${s.key}.`) || x.path.startsWith(`${s.key}[]`))) {
      out += `| \`${r.path}\` | ${cell(r.type)} | ${cell(r.default)} | ${cell(r.description)} |\n`;
    }
  }
  const documented = new Set(SECTIONS.map((s) => s.key));
  const missing = Object.keys(schema.properties ?? {}).filter((k) => !documented.has(k));
  if (missing.length > 0) throw new Error(`gen-schema: add a docs section for top-level key(s) ${missing.join(', ')}`);
  return out;
}

/** Every generated file with its expected content, for writing and for the drift test. */
export function generatedFiles(): { path: string; content: string }[] {
  return [
    { path: SCHEMA_FILE, content: renderSchemaJson() },
    { path: DOCS_FILE, content: renderConfigDocs() },
  ];
}

function main(): void {
  for (const f of generatedFiles()) {
    writeFileSync(resolve(ROOT, f.path), f.content);
    console.log(`wrote ${f.path}`);
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) main();
