// The layering of src/ (STYLE 14, DESIGN.md §1), checked over the real files so it stays
// true: dependencies point down (config is data, core knows no listener and no protocol,
// admin knows the gateway only through the interface it declares), and the shared folders
// never branch on a protocol by comparing a backend kind with a literal.
// Every import of every src/**/*.ts is read with the TypeScript parser (static `import`,
// `export … from`, dynamic `import()`, `import('…').T` in types), so comments and strings
// never count; each violation is reported as file:line.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { test } from 'node:test';
import ts from 'typescript';

const ROOT = resolve(import.meta.dirname, '../..');
const SRC = join(ROOT, 'src');

interface Source {
  /** Path from the repository root, with "/". */
  readonly rel: string;
  /** The folder under src/ ("core", "llm", …). */
  readonly folder: string;
  readonly ast: ts.SourceFile;
}

function walk(dir: string, out: string[]): string[] {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) walk(p, out);
    else if (e.name.endsWith('.ts')) out.push(p);
  }
  return out;
}

const SOURCES: readonly Source[] = walk(SRC, []).sort().map((abs) => {
  const rel = relative(ROOT, abs).split(sep).join('/');
  return { rel, folder: rel.split('/')[1]!, ast: ts.createSourceFile(abs, readFileSync(abs, 'utf8'), ts.ScriptTarget.Latest, true) };
});

function lineOf(s: Source, node: ts.Node): number {
  return s.ast.getLineAndCharacterOfPosition(node.getStart(s.ast)).line + 1;
}

interface Import { readonly line: number; readonly specifier: string; /** The src/ folder imported, or null outside src/. */ readonly folder: string | null }

function importsOf(s: Source): Import[] {
  const out: Import[] = [];
  const add = (node: ts.Node, spec: ts.Node | undefined) => {
    if (spec === undefined || !ts.isStringLiteralLike(spec)) return;
    const specifier = spec.text;
    let folder: string | null = null;
    if (specifier.startsWith('.')) {
      const target = relative(SRC, resolve(dirname(join(ROOT, s.rel)), specifier)).split(sep);
      if (target[0] !== '..' && target.length > 1) folder = target[0]!;
    }
    out.push({ line: lineOf(s, node), specifier, folder });
  };
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) add(node, node.moduleSpecifier);
    else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) add(node, node.arguments[0]);
    else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) add(node, node.argument.literal);
    ts.forEachChild(node, visit);
  };
  visit(s.ast);
  return out;
}

/** file:line of every import from `from` into one of `forbidden`. */
function forbiddenImports(from: string, forbidden: readonly string[]): string[] {
  const found: string[] = [];
  for (const s of SOURCES) {
    if (s.folder !== from) continue;
    for (const i of importsOf(s)) {
      if (i.folder !== null && forbidden.includes(i.folder)) found.push(`${s.rel}:${i.line} imports ${i.specifier}`);
    }
  }
  return found;
}

function report(rule: string, violations: readonly string[]): void {
  assert.deepEqual(violations, [], `${rule}:\n  ${violations.join('\n  ')}`);
}

test('the import parser sees static, re-exported, dynamic and type-position imports', () => {
  // Guards the checks below against passing because they read nothing.
  const probe = ts.createSourceFile('src/core/probe.ts', [
    "import { a } from '../listeners/a.js';",
    "export { b } from '../llm/b.js';",
    "const c = await import('../policy/c.js');",
    "type D = import('../gateway/d.js').D;",
  ].join('\n'), ts.ScriptTarget.Latest, true);
  const found = importsOf({ rel: 'src/core/probe.ts', folder: 'core', ast: probe }).map((i) => `${i.line} ${i.folder}`);
  assert.deepEqual(found, ['1 listeners', '2 llm', '3 policy', '4 gateway']);
  assert.ok(SOURCES.some((s) => s.rel === 'src/core/pipeline.ts'), 'the scan reads src/');
});

test('src/config imports nothing from llm, the protocol folders, policy, core or gateway', () => {
  // config is data: it is loaded by the CLI and the gateway alike and knows no runtime.
  report('src/config must not import these', forbiddenImports('config', ['llm', 'mcp', 'a2a', 'policy', 'core', 'gateway']));
});

test('src/core imports no listener, no protocol folder, and nothing above it', () => {
  // core may import src/config (the specs it runs); everything else builds on core.
  const above = ['listeners', 'llm', 'mcp', 'a2a', 'policy', 'gateway', 'admin', 'telemetry', 'state', 'cli'];
  report('src/core must not import these', forbiddenImports('core', above));
});

test('src/admin does not import src/gateway', () => {
  // The gateway creates the admin server; admin reaches it through AdminHost (admin/server.ts).
  report('src/admin must not import src/gateway', forbiddenImports('admin', ['gateway']));
});

/** Folders shared by every protocol: they never branch on one (STYLE 14). */
const SHARED = ['core', 'gateway', 'policy', 'config', 'admin', 'telemetry', 'listeners'];
const PROTOCOLS = new Set(['llm', 'mcp', 'a2a']);

/**
 * Declarations of the protocols' CEL variables: a registry of names per phase (which
 * variables a rule may read), not a branch on a request's protocol. Each entry is a file
 * and the exact text of its line, so any edit there is looked at again.
 */
const DECLARATION_SITES: readonly { readonly file: string; readonly line: string }[] = [
  // The names an expression may read, and which of them belong to a protocol phase.
  { file: 'src/policy/cel.ts', line: "export const CEL_VARIABLES: readonly CelVariable[] = Object.freeze(['request', 'source', 'jwt', 'apiKey', 'identity', 'llm', 'mcp', 'a2a']);" },
  { file: 'src/policy/cel.ts', line: "const PROTOCOL_VARIABLES = ['llm', 'mcp', 'a2a'] as const;" },
  // Their types, declared once to the CEL environment.
  { file: 'src/policy/cel.ts', line: ".registerVariable('llm', 'agentedge.Llm')" },
  { file: 'src/policy/cel.ts', line: ".registerVariable('mcp', 'agentedge.Mcp')" },
  { file: 'src/policy/cel.ts', line: ".registerVariable('a2a', 'agentedge.A2a');" },
  // The phases an authorize rule set is split into.
  { file: 'src/policy/authorize.ts', line: "const PHASES: readonly CelPhase[] = ['request', 'llm', 'mcp', 'a2a'];" },
];

function isProtocolLiteral(node: ts.Node): boolean {
  return (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) && PROTOCOLS.has(node.text);
}

const COMPARISONS = new Set([
  ts.SyntaxKind.EqualsEqualsEqualsToken, ts.SyntaxKind.ExclamationEqualsEqualsToken,
  ts.SyntaxKind.EqualsEqualsToken, ts.SyntaxKind.ExclamationEqualsToken, ts.SyntaxKind.InKeyword,
]);

/**
 * Where a protocol literal decides something: compared (`===`, `!==`, `==`, `!=`, `in`),
 * a `case`, passed to a call (`.includes('llm')`, `.has('llm')`, `check('llm', …)`),
 * listed among other names (`['http', 'llm']`: an array of string literals only, so a
 * config path such as `['backends', name, 'llm']` is not a list of kinds), or set as an
 * object's `kind` / `protocol`. A literal type (`kind: 'llm'` in a type) declares, never
 * decides, and is not read here.
 */
function protocolBranch(node: ts.Node): boolean {
  const parent = node.parent;
  if (ts.isBinaryExpression(parent)) return COMPARISONS.has(parent.operatorToken.kind);
  if (ts.isCaseClause(parent)) return true;
  if (ts.isCallExpression(parent) || ts.isNewExpression(parent)) return parent.arguments?.includes(node as ts.Expression) ?? false;
  if (ts.isArrayLiteralExpression(parent)) return parent.elements.every((e) => ts.isStringLiteralLike(e));
  if (ts.isPropertyAssignment(parent)) return parent.initializer === node && ['kind', 'protocol'].includes(parent.name.getText());
  return false;
}

/** The lines of `s` where a protocol literal decides something, each once, with its text. */
function protocolBranches(s: Source): { readonly line: number; readonly text: string }[] {
  const found: { line: number; text: string }[] = [];
  const lines = s.ast.text.split('\n');
  const visit = (node: ts.Node): void => {
    if (isProtocolLiteral(node) && protocolBranch(node)) {
      const line = lineOf(s, node);
      if (found.at(-1)?.line !== line) found.push({ line, text: lines[line - 1]!.trim() });
    }
    ts.forEachChild(node, visit);
  };
  visit(s.ast);
  return found;
}

test('the protocol-literal check sees each kind of branch and no declaration', () => {
  // Guards the check below against passing because it recognises nothing.
  const probe = ts.createSourceFile('src/gateway/probe.ts', [
    "if (b.kind === 'llm') x();", // 1
    'if (p != "mcp") x();', // 2
    "switch (k) { case 'a2a': break; }", // 3
    "if (kinds.includes('llm')) x();", // 4
    "const kinds = ['http', 'llm'];", // 5
    "const spec = { kind: 'llm', name };", // 6
    "rules.check('llm', act);", // 7
    "type Kind = 'http' | 'llm';", // 8: a declaration
    "interface Spec { kind: 'llm' }", // 9: a declaration
    "const path = ['backends', name, 'llm', 'models'];", // 10: a config path
    "// if (kind === 'llm')", // 11: a comment
    "const label = 'llm';", // 12: a name, not a decision
  ].join('\n'), ts.ScriptTarget.Latest, true);
  const lines = protocolBranches({ rel: 'src/gateway/probe.ts', folder: 'gateway', ast: probe }).map((b) => b.line);
  assert.deepEqual(lines, [1, 2, 3, 4, 5, 6, 7]);
});

test('no shared folder compares a backend kind or protocol with a literal', () => {
  const found: string[] = [];
  const allowed = new Set(DECLARATION_SITES.map((d) => `${d.file}\u0000${d.line}`));
  const used = new Set<string>();
  for (const s of SOURCES) {
    if (!SHARED.includes(s.folder)) continue;
    for (const b of protocolBranches(s)) {
      const key = `${s.rel}\u0000${b.text}`;
      if (allowed.has(key)) used.add(key);
      else found.push(`${s.rel}:${b.line}: ${b.text}`);
    }
  }
  report(`protocol branches outside the protocol's folder (register the kind instead; ${[...PROTOCOLS].join(', ')})`, found);
  const stale = [...allowed].filter((k) => !used.has(k)).map((k) => k.replace('\u0000', ': '));
  assert.deepEqual(stale, [], 'DECLARATION_SITES lists lines that no longer exist; remove them');
});
