// CEL for policies: compiled (parsed and type-checked) once when the config loads,
// evaluated per request. Every variable is declared with a typed shape, so a misspelt field
// (`request.methd`) or a type mismatch (`request.method == 1`) is a load-time error, and a
// checked expression runs on cel-js's fast path (no per-evaluation type inference).
//
// Absent things: a variable for something this request does not have is present but empty
// (`jwt` is `{}` without a JWT; `apiKey` and `identity` have no fields when they do not
// apply). Reading a missing field or key is an evaluation error, and the product rule is
// fail closed: an error denies, and the caller logs it. Rules that should tolerate absence
// say so: `has(apiKey.name)`, `"x-team" in request.headers`, `jwt.?groups.orValue([])`.
//
// Evaluation never throws: it returns a CelEvalError value, so the per-request path has no
// exception to forget. The activation is built lazily from the request context: nothing is
// copied for a variable no expression reads.
import { Environment, type ASTNode } from '@marcbachmann/cel-js';
import type { RequestContext } from '../core/index.js';

/** The longest expression accepted; the config schema has the same bound. */
export const CEL_MAX_LENGTH = 4096;

/** Where in the lifecycle an expression can run: the request phase, or the protocol handler's own phase once the model, tool or agent is known. */
export type CelPhase = 'request' | 'llm' | 'mcp' | 'a2a';

export type CelVariable = 'request' | 'source' | 'jwt' | 'apiKey' | 'identity' | 'llm' | 'mcp' | 'a2a';

/** The top-level variables an expression may read (DESIGN §2, CEL context). */
export const CEL_VARIABLES: readonly CelVariable[] = Object.freeze(['request', 'source', 'jwt', 'apiKey', 'identity', 'llm', 'mcp', 'a2a']);
const VARIABLE_SET: ReadonlySet<string> = new Set(CEL_VARIABLES);
const PROTOCOL_VARIABLES = ['llm', 'mcp', 'a2a'] as const;

// ---------------------------------------------------------------------------------------
// The shapes expressions see. Interfaces are what callers pass (plain objects work: each
// is converted to its registered CEL type per evaluation); the classes below are the
// registered types themselves, which the builders (requestActivation, celLlm, ...) return so
// that nothing is converted per evaluation.

export interface CelRequest {
  readonly method: string;
  readonly path: string;
  readonly host: string;
  /** Lower-case names; a repeated header's values joined with ", ". */
  readonly headers: Readonly<Record<string, string | readonly string[] | undefined>>;
}
export interface CelSource { readonly address: string }
/** Fields are absent (`{}`) when the caller did not authenticate with an API key. */
export interface CelApiKey {
  readonly name?: string | undefined;
  readonly metadata?: Readonly<Record<string, string>> | undefined;
}
/** Fields are absent (`{}`) when the request is not authenticated. */
export interface CelIdentity {
  readonly kind?: string | undefined;
  readonly name?: string | undefined;
  readonly metadata?: Readonly<Record<string, string>> | undefined;
}
/** `LlmCall` (core/context.ts) satisfies this; tokens and cost are absent while null. Tokens are CEL ints, cost a double. */
export interface CelLlm {
  readonly model: string;
  readonly provider: string;
  readonly stream: boolean;
  readonly inputTokens: number | bigint | null | undefined;
  readonly outputTokens: number | bigint | null | undefined;
  readonly costUsd: number | null | undefined;
}
export interface CelMcpTool {
  /** As the server names it (not namespaced). */
  readonly name: string;
  readonly arguments?: Readonly<Record<string, unknown>> | undefined;
}
export interface CelMcp {
  readonly server: string;
  readonly method: string;
  /** Absent for a method that concerns no tool; `mcp.tool.name` then is an evaluation error. */
  readonly tool?: CelMcpTool | undefined;
}
export interface CelA2a { readonly agent: string; readonly method: string }

/** What an expression is evaluated against. `llm`, `mcp` and `a2a` are set by their protocol handler; an expression reading one that is not set fails (denies). */
export interface CelActivation {
  readonly request: CelRequest;
  readonly source: CelSource;
  /** Verified JWT claims; `{}` when the caller did not present a JWT. */
  readonly jwt: Readonly<Record<string, unknown>>;
  readonly apiKey: CelApiKey;
  readonly identity: CelIdentity;
  llm?: CelLlm | undefined;
  mcp?: CelMcp | undefined;
  a2a?: CelA2a | undefined;
}

const EMPTY: Readonly<Record<string, never>> = Object.freeze({});

/** Node joins most repeated headers itself; only a few (set-cookie) stay arrays. The common case reuses the object as is. */
function celHeaders(h: Readonly<Record<string, string | readonly string[] | undefined>>): Readonly<Record<string, string>> {
  let copy: Record<string, string> | null = null;
  for (const k in h) {
    const v = h[k];
    if (typeof v === 'string') { if (copy !== null) copy[k] = v; continue; }
    if (copy === null) {
      copy = {};
      for (const k2 in h) { if (k2 === k) break; copy[k2] = h[k2] as string; }
    }
    if (v !== undefined) copy[k] = v.join(', ');
  }
  return copy ?? (h as Readonly<Record<string, string>>);
}

class RequestValue {
  readonly method: string;
  readonly path: string;
  readonly host: string;
  #raw: Readonly<Record<string, string | readonly string[] | undefined>>;
  #headers: Readonly<Record<string, string>> | null = null;
  constructor(method: string, path: string, host: string, headers: Readonly<Record<string, string | readonly string[] | undefined>>) {
    this.method = method;
    this.path = path;
    this.host = host;
    this.#raw = headers;
  }
  /** Built on first read: an expression that never looks at headers never pays for them. */
  get headers(): Readonly<Record<string, string>> {
    return (this.#headers ??= celHeaders(this.#raw));
  }
}

class SourceValue {
  readonly address: string;
  constructor(address: string) { this.address = address; }
}

class ApiKeyValue {
  readonly name: string | undefined;
  readonly metadata: Readonly<Record<string, string>> | undefined;
  constructor(name: string | undefined, metadata: Readonly<Record<string, string>> | undefined) {
    this.name = name;
    this.metadata = metadata;
  }
}
const NO_API_KEY = Object.freeze(new ApiKeyValue(undefined, undefined));

class IdentityValue {
  readonly kind: string | undefined;
  readonly name: string | undefined;
  readonly metadata: Readonly<Record<string, string>> | undefined;
  constructor(kind: string | undefined, name: string | undefined, metadata: Readonly<Record<string, string>> | undefined) {
    this.kind = kind;
    this.name = name;
    this.metadata = metadata;
  }
}
const NO_IDENTITY = Object.freeze(new IdentityValue(undefined, undefined, undefined));

function celInt(n: number | bigint | null | undefined): bigint | undefined {
  if (n === null || n === undefined) return undefined;
  if (typeof n === 'bigint') return n;
  return Number.isFinite(n) ? BigInt(Math.trunc(n)) : undefined;
}

/** A live view of the call: tokens and cost read when the expression runs, so one view serves before and after usage is known. */
class LlmValue {
  readonly #call: CelLlm;
  constructor(call: CelLlm) { this.#call = call; }
  get model(): string { return this.#call.model; }
  get provider(): string { return this.#call.provider; }
  get stream(): boolean { return this.#call.stream; }
  get inputTokens(): bigint | undefined { return celInt(this.#call.inputTokens); }
  get outputTokens(): bigint | undefined { return celInt(this.#call.outputTokens); }
  get costUsd(): number | undefined { return this.#call.costUsd ?? undefined; }
}

class McpToolValue {
  readonly name: string;
  readonly arguments: Readonly<Record<string, unknown>>;
  constructor(t: CelMcpTool) {
    this.name = t.name;
    this.arguments = t.arguments ?? EMPTY;
  }
}

class McpValue {
  readonly server: string;
  readonly method: string;
  readonly tool: McpToolValue | undefined;
  constructor(m: CelMcp) {
    this.server = m.server;
    this.method = m.method;
    this.tool = m.tool === undefined ? undefined : m.tool instanceof McpToolValue ? m.tool : new McpToolValue(m.tool);
  }
}

class A2aValue {
  readonly agent: string;
  readonly method: string;
  constructor(a: CelA2a) {
    this.agent = a.agent;
    this.method = a.method;
  }
}

/** The `llm` variable for a call (a live view: reflects tokens and cost as the call fills them). */
export function celLlm(call: CelLlm): CelLlm {
  return call instanceof LlmValue ? call : new LlmValue(call);
}
export function celMcp(m: CelMcp): CelMcp {
  return m instanceof McpValue ? m : new McpValue(m);
}
export function celA2a(a: CelA2a): CelA2a {
  return a instanceof A2aValue ? a : new A2aValue(a);
}

// The activation of one request: each variable is built on first read and kept, so an
// expression reading only `jwt` costs one property read. Build it after authentication
// (the identity is read once).
class RequestActivation implements CelActivation {
  readonly #ctx: RequestContext;
  #request: RequestValue | null = null;
  #source: SourceValue | null = null;
  #apiKey: ApiKeyValue | null = null;
  #identity: IdentityValue | null = null;
  llm: CelLlm | undefined = undefined;
  mcp: CelMcp | undefined = undefined;
  a2a: CelA2a | undefined = undefined;
  constructor(ctx: RequestContext) { this.#ctx = ctx; }
  get request(): CelRequest {
    const c = this.#ctx;
    return (this.#request ??= new RequestValue(c.method, c.path, c.host, c.req.headers));
  }
  get source(): CelSource {
    return (this.#source ??= new SourceValue(this.#ctx.clientAddress));
  }
  get jwt(): Readonly<Record<string, unknown>> {
    return this.#ctx.identity?.claims ?? EMPTY;
  }
  get apiKey(): CelApiKey {
    if (this.#apiKey !== null) return this.#apiKey;
    const id = this.#ctx.identity;
    return (this.#apiKey = id !== null && id.kind === 'apiKey' ? new ApiKeyValue(id.name, id.metadata) : NO_API_KEY);
  }
  get identity(): CelIdentity {
    if (this.#identity !== null) return this.#identity;
    const id = this.#ctx.identity;
    return (this.#identity = id === null ? NO_IDENTITY : new IdentityValue(id.kind, id.name, id.metadata));
  }
}

/** The activation for a request; set `llm`, `mcp` or `a2a` on it when the protocol handler knows them. */
export function requestActivation(ctx: RequestContext): CelActivation {
  return new RequestActivation(ctx);
}

/** What policy knows of a protocol phase: the one table of protocol variables. */
interface ProtocolPhase {
  /** The call's subject as the variable's registered CEL type. */
  readonly subject: (subject: object) => object;
  /** Its calls carry tokens and USD (a usage meter): token limits and budgets may key on the variable. */
  readonly metered: boolean;
  /** What its call gate learns, in messages ("before the model is known"). */
  readonly calls: string;
}

const PROTOCOL_PHASES: Readonly<Record<Exclude<CelPhase, 'request'>, ProtocolPhase>> = Object.freeze({
  llm: { subject: (s: object) => celLlm(s as CelLlm), metered: true, calls: 'model' },
  mcp: { subject: (s: object) => celMcp(s as CelMcp), metered: false, calls: 'tool' },
  a2a: { subject: (s: object) => celA2a(s as CelA2a), metered: false, calls: 'agent' },
});

/** The protocol phase an expression needs, when it reads a protocol variable; null for the request phase. */
export function protocolPhaseOf(phase: CelPhase): ProtocolPhase | null {
  return isProtocolPhase(phase) ? PROTOCOL_PHASES[phase] : null;
}

/** True when `protocol` names a protocol phase with a CEL variable. */
export function isProtocolPhase(protocol: string): protocol is Exclude<CelPhase, 'request'> {
  return Object.hasOwn(PROTOCOL_PHASES, protocol);
}

/**
 * Sets the protocol phase's variable (`llm`, `mcp`, `a2a`) of a request's activation to a
 * call's subject (core/call-gate.ts), as its registered type. Returns the activation.
 */
export function withSubject(act: CelActivation, phase: CelPhase, subject: object): CelActivation {
  if (!isProtocolPhase(phase)) return act;
  (act as Record<Exclude<CelPhase, 'request'>, object | undefined>)[phase] = PROTOCOL_PHASES[phase].subject(subject);
  return act;
}

// ---------------------------------------------------------------------------------------
// The environment: one for the process, built once.

// `convert` receives a plain object a caller passed where a registered type is declared
// (tests, or a handler that did not use the builders); it is converted once per evaluation.
const ENV = new Environment({ homogeneousAggregateLiterals: false, enableOptionalTypes: true })
  .registerType('agentedge.Request', {
    ctor: RequestValue,
    fields: { method: 'string', path: 'string', host: 'string', headers: 'map<string, string>' },
    convert: (v: CelRequest) => new RequestValue(v.method, v.path, v.host, v.headers ?? EMPTY),
  })
  .registerType('agentedge.Source', { ctor: SourceValue, fields: { address: 'string' }, convert: (v: CelSource) => new SourceValue(v.address) })
  .registerType('agentedge.ApiKey', {
    ctor: ApiKeyValue,
    fields: { name: 'string', metadata: 'map<string, string>' },
    convert: (v: CelApiKey) => new ApiKeyValue(v.name, v.metadata),
  })
  .registerType('agentedge.Identity', {
    ctor: IdentityValue,
    fields: { kind: 'string', name: 'string', metadata: 'map<string, string>' },
    convert: (v: CelIdentity) => new IdentityValue(v.kind, v.name, v.metadata),
  })
  .registerType('agentedge.Llm', {
    ctor: LlmValue,
    fields: { model: 'string', provider: 'string', stream: 'bool', inputTokens: 'int', outputTokens: 'int', costUsd: 'double' },
    convert: (v: CelLlm) => new LlmValue(v),
  })
  .registerType('agentedge.McpTool', { ctor: McpToolValue, fields: { name: 'string', arguments: 'map<string, dyn>' }, convert: (v: CelMcpTool) => new McpToolValue(v) })
  .registerType('agentedge.Mcp', {
    ctor: McpValue,
    fields: { server: 'string', method: 'string', tool: 'agentedge.McpTool' },
    convert: (v: CelMcp) => new McpValue(v),
  })
  .registerType('agentedge.A2a', { ctor: A2aValue, fields: { agent: 'string', method: 'string' }, convert: (v: CelA2a) => new A2aValue(v) })
  .registerVariable('request', 'agentedge.Request')
  .registerVariable('source', 'agentedge.Source')
  .registerVariable('jwt', 'map<string, dyn>')
  .registerVariable('apiKey', 'agentedge.ApiKey')
  .registerVariable('identity', 'agentedge.Identity')
  .registerVariable('llm', 'agentedge.Llm')
  .registerVariable('mcp', 'agentedge.Mcp')
  .registerVariable('a2a', 'agentedge.A2a');

// ---------------------------------------------------------------------------------------
// Errors.

interface CelLibError { readonly summary?: unknown; readonly code?: unknown; readonly range?: { readonly start?: unknown } | undefined }

function describe(err: unknown): { text: string; code: string; column: number | null } {
  if (err !== null && typeof err === 'object') {
    const e = err as CelLibError & { message?: unknown };
    const text = typeof e.summary === 'string' ? e.summary : typeof e.message === 'string' ? e.message.split('\n', 1)[0]! : 'invalid expression';
    const start = e.range?.start;
    return { text, code: typeof e.code === 'string' ? e.code : 'error', column: typeof start === 'number' ? start + 1 : null };
  }
  return { text: String(err), code: 'error', column: null };
}

/** A CEL source that does not compile. `message` is one line, without the path; `path` is filled by whoever knows where the source came from. */
export class CelCompileError extends Error {
  /** The reason, without column or path. */
  readonly detail: string;
  /** 1-based column in the source, when the reason has one. */
  readonly column: number | null;
  /** The config path of the expression (e.g. ['policies', 'p', 'authorize', 'allow', 0]); empty when unknown. */
  readonly path: readonly (string | number)[];
  constructor(detail: string, column: number | null = null, path: readonly (string | number)[] = []) {
    super(column === null ? detail : `${detail} (column ${column})`);
    this.name = 'CelCompileError';
    this.detail = detail;
    this.column = column;
    this.path = path;
  }
  /** The same error, placed at a config path. */
  at(path: readonly (string | number)[]): CelCompileError {
    return new CelCompileError(this.detail, this.column, path);
  }
}

/** An evaluation that failed: a missing key, a wrong type, a non-boolean rule. A value, never thrown. */
export class CelEvalError {
  /** cel-js's code (`no_such_key`, ...) or ours (`not_bool`). */
  readonly code: string;
  /** One line, for the log. */
  readonly message: string;
  constructor(code: string, message: string) {
    this.code = code;
    this.message = message;
  }
  static from(err: unknown): CelEvalError {
    const d = describe(err);
    return new CelEvalError(d.code, d.column === null ? d.text : `${d.text} (column ${d.column})`);
  }
}

export function isCelEvalError(v: unknown): v is CelEvalError {
  return v instanceof CelEvalError;
}

// ---------------------------------------------------------------------------------------
// Compilation.

export interface CompiledCel {
  readonly source: string;
  /** The top-level variables the expression reads. */
  readonly vars: ReadonlySet<CelVariable>;
  /** The phase it needs: the protocol phase of the protocol variable it reads, else 'request'. */
  readonly phase: CelPhase;
  /** The checked result type (`bool`, `string`, `dyn`, ...). */
  readonly type: string;
  /** The value, or a CelEvalError; never throws. Ints are bigint, doubles number. */
  evaluate(activation: CelActivation): unknown;
  /** For rules: the boolean, or a CelEvalError (also when the value is not a boolean). */
  test(activation: CelActivation): boolean | CelEvalError;
}

const MACROS = new Set(['all', 'exists', 'exists_one', 'map', 'filter']);

// Top-level variables an AST reads. A comprehension's (or cel.bind's) iteration variable
// shadows a top-level one of the same name inside its body, as in the evaluator.
function collectVars(node: ASTNode, bound: ReadonlySet<string> | null, out: Set<CelVariable>): void {
  switch (node.op) {
    case 'id':
      if (VARIABLE_SET.has(node.args) && bound?.has(node.args) !== true) out.add(node.args as CelVariable);
      return;
    case 'value':
      return;
    case '.':
    case '.?':
      collectVars(node.args[0], bound, out);
      return;
    case '!_':
    case '-_':
      collectVars(node.args, bound, out);
      return;
    case 'call':
      for (const a of node.args[1]) collectVars(a, bound, out);
      return;
    case 'rcall': {
      const [name, receiver, args] = node.args;
      collectVars(receiver, bound, out);
      const first = args[0];
      const isBind = name === 'bind' && receiver.op === 'id' && receiver.args === 'cel' && args.length === 3;
      if (first?.op === 'id' && args.length >= 2 && (isBind || MACROS.has(name))) {
        const inner = new Set(bound ?? []);
        inner.add(first.args);
        for (let i = 1; i < args.length; i++) collectVars(args[i]!, isBind && i === 1 ? bound : inner, out);
      } else {
        for (const a of args) collectVars(a, bound, out);
      }
      return;
    }
    case 'list':
      for (const a of node.args) collectVars(a, bound, out);
      return;
    case 'map':
      for (const [k, v] of node.args) { collectVars(k, bound, out); collectVars(v, bound, out); }
      return;
    default:
      for (const a of node.args) collectVars(a, bound, out);
  }
}

// A constant pattern given to `matches` is checked at load, not found broken per request,
// and refused when it could backtrack for ever on request data (JS regexes backtrack).
function firstBadRegex(root: ASTNode): { pattern: string; column: number; why: string } | null {
  const stack: unknown[] = [root];
  while (stack.length > 0) {
    const n = stack.pop();
    if (Array.isArray(n)) { for (const x of n) stack.push(x); continue; }
    if (n === null || typeof n !== 'object' || !('op' in n)) continue;
    const node = n as ASTNode;
    if (node.op === 'rcall' && node.args[0] === 'matches') {
      const arg = node.args[2][0];
      if (arg?.op === 'value' && typeof arg.args === 'string') {
        try { new RegExp(arg.args); } catch { return { pattern: arg.args, column: arg.start + 1, why: 'invalid regular expression' }; }
        const risk = backtrackingRisk(arg.args);
        if (risk !== null) return { pattern: arg.args, column: arg.start + 1, why: `regular expression with ${risk} (it can take exponential time on some inputs)` };
      }
    }
    if (node.op !== 'value' && node.op !== 'id') stack.push(node.args);
  }
  return null;
}

/**
 * What makes a (valid) pattern backtrack catastrophically, found by its shape: a repeated
 * group that itself contains a repetition (`(a+)+`, `(\w*\s?)*`), or a backreference.
 * A heuristic: it refuses some safe patterns of that shape and does not see overlapping
 * alternatives (`(a|a)*`).
 */
export function backtrackingRisk(pattern: string): string | null {
  // Per open group (the last is the pattern itself): whether it contains a repetition.
  const groups: boolean[] = [false];
  const repeats = (at: number): boolean => {
    const c = pattern[at];
    if (c === '*' || c === '+') return true;
    if (c !== '{') return false;
    const m = /^\{(\d+)(,(\d*))?\}/.exec(pattern.slice(at));
    return m !== null && m[2] !== undefined && (m[3] === '' || Number(m[3]) > 1);
  };
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '\\') {
      if (/[1-9k]/.test(pattern[i + 1] ?? '')) return 'a backreference';
      i++;
    } else if (c === '[') {
      for (i++; i < pattern.length && pattern[i] !== ']'; i++) if (pattern[i] === '\\') i++;
    } else if (c === '(') {
      groups.push(false);
    } else if (c === ')') {
      const inner = groups.pop() ?? false;
      if (groups.length === 0) groups.push(false);
      if (repeats(i + 1) && inner) return 'a repeated group that repeats inside';
      if (inner || repeats(i + 1)) groups[groups.length - 1] = true;
    } else if (repeats(i)) {
      groups[groups.length - 1] = true;
    }
  }
  return null;
}

// False under --frozen-intrinsics, where assigning it would throw.
const STACK_LIMIT_WRITABLE = Object.getOwnPropertyDescriptor(Error, 'stackTraceLimit')?.writable === true;

type Evaluator = (context: CelActivation) => unknown;

class Compiled implements CompiledCel {
  readonly source: string;
  readonly vars: ReadonlySet<CelVariable>;
  readonly phase: CelPhase;
  readonly type: string;
  readonly #run: Evaluator;
  constructor(source: string, vars: ReadonlySet<CelVariable>, phase: CelPhase, type: string, run: Evaluator) {
    this.source = source;
    this.vars = vars;
    this.phase = phase;
    this.type = type;
    this.#run = run;
  }
  // cel-js reports a missing key by throwing an Error, and capturing its stack trace is
  // two thirds of the cost of that path (~15 µs → ~5 µs). A rule that errors on every
  // request of some callers is ordinary (an apiKey rule meeting a JWT caller), and the stack
  // is never logged, so none is captured while cel-js runs. Evaluation is synchronous, so
  // the process-wide setting is restored before anything else runs.
  evaluate(activation: CelActivation): unknown {
    const limit = Error.stackTraceLimit;
    if (STACK_LIMIT_WRITABLE) Error.stackTraceLimit = 0;
    try {
      return this.#run(activation);
    } catch (err) {
      return CelEvalError.from(err);
    } finally {
      if (STACK_LIMIT_WRITABLE) Error.stackTraceLimit = limit;
    }
  }
  test(activation: CelActivation): boolean | CelEvalError {
    const v = this.evaluate(activation);
    if (typeof v === 'boolean' || v instanceof CelEvalError) return v;
    return new CelEvalError('not_bool', `the rule gave ${celTypeName(v)}, not a bool`);
  }
}

function celTypeName(v: unknown): string {
  switch (typeof v) {
    case 'bigint': return 'an int';
    case 'number': return 'a double';
    case 'string': return 'a string';
    case 'object': return v === null ? 'null' : Array.isArray(v) ? 'a list' : 'a map';
    default: return `a ${typeof v}`;
  }
}

/**
 * Programs by source text. Config validation compiles every expression (so an error names
 * its path) and the runtime asks for the same sources when it builds the policies of that
 * config: they get the program validation made, so each expression is compiled once per
 * load (STYLE 7). A program is immutable and depends on nothing but its source (the
 * environment is fixed), so sharing it is safe. Bounded as an LRU: the sources of a few
 * configs in a row fit; a long-running process that reloads many distinct configs keeps
 * only the recent ones.
 */
const PROGRAMS = new Map<string, CompiledCel>();
/** Most programs kept. */
export const CEL_CACHE_SIZE = 4096;
let compiles = 0;

/** How many times an expression was actually parsed and checked (a cache miss); for tests and metrics. */
export function celCompileCount(): number {
  return compiles;
}

/**
 * The program of `source`, compiled on first use and then shared. Throws CelCompileError
 * (and nothing else); a source that fails is not kept, so its error is the same each time.
 */
export function compileCel(source: string): CompiledCel {
  const hit = PROGRAMS.get(source);
  if (hit !== undefined) {
    // Most recently used last: the first entry is the one to evict.
    PROGRAMS.delete(source);
    PROGRAMS.set(source, hit);
    return hit;
  }
  const program = compileUncached(source);
  PROGRAMS.set(source, program);
  if (PROGRAMS.size > CEL_CACHE_SIZE) PROGRAMS.delete(PROGRAMS.keys().next().value!);
  return program;
}

/** Parses and type-checks `source`. Throws CelCompileError (and nothing else). */
function compileUncached(source: string): CompiledCel {
  compiles++;
  if (source.length > CEL_MAX_LENGTH) throw new CelCompileError(`is ${source.length} characters long; the limit is ${CEL_MAX_LENGTH}`);
  let parsed: ReturnType<Environment['parse']>;
  let type: string;
  try {
    parsed = ENV.parse(source);
    const checked = parsed.check();
    if (!checked.valid) throw checked.error ?? new Error('invalid expression');
    type = checked.type ?? 'dyn';
  } catch (err) {
    const d = describe(err);
    const text = d.code === 'unknown_variable' ? `${d.text}; the variables are ${CEL_VARIABLES.join(', ')}` : d.text;
    throw new CelCompileError(text, d.column);
  }
  const vars = new Set<CelVariable>();
  collectVars(parsed.ast, null, vars);
  const protocols = PROTOCOL_VARIABLES.filter((p) => vars.has(p));
  if (protocols.length > 1) {
    throw new CelCompileError(`reads ${protocols.join(' and ')}, which never exist on the same request`);
  }
  const badRegex = firstBadRegex(parsed.ast);
  if (badRegex !== null) throw new CelCompileError(`${badRegex.why} ${JSON.stringify(badRegex.pattern)}`, badRegex.column);
  const phase: CelPhase = protocols[0] ?? 'request';
  // The evaluator is cel-js's bound function; its own `ast` and `check` properties are not needed past this point.
  return new Compiled(source, vars, phase, type, parsed as Evaluator);
}
