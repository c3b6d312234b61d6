// The `authorize` policy: CEL allow and deny rules, split by the phase they can run in.
//
// Semantics (DESIGN §2): with allow rules, at least one must match; with only deny rules,
// everything not denied is allowed; deny always wins. Fail closed: a deny rule that errors
// denies; an allow rule that errors does not match (another allow rule may still allow).
//
// A request meets the rules in at most two phases: 'request' (the authorize filter), then
// the phase of its protocol handler ('llm', 'mcp' or 'a2a'; never two of them). Allow rules
// are one OR across both phases: a request-phase match satisfies the allow requirement
// for the protocol phase; when nothing matched yet and the protocol phase the request will
// reach has allow rules, the request phase answers 'pending' and the decision waits. The
// only per-request state is "allow satisfied", a boolean per rule set, or a bitmask for a
// route's chain of rule sets (AuthorizeChain), so the pipeline carries one number.
import { CelCompileError, CelEvalError, compileCel, type CelActivation, type CelPhase, type CompiledCel } from './cel.js';

export interface AuthorizeRule {
  readonly effect: 'allow' | 'deny';
  /** Config path, e.g. ['policies', 'finance-only', 'authorize', 'allow', 0]. */
  readonly path: readonly (string | number)[];
  readonly cel: CompiledCel;
}

/** Why a request was denied, for the log. */
export interface AuthorizeDenial {
  readonly kind: 'deny';
  /**
   * `deny-matched`: a deny rule was true; `deny-error`: a deny rule failed to evaluate;
   * `no-allow-matched`: no allow rule was true (`rule`/`error` then name the first allow
   * rule that failed to evaluate, if one did).
   */
  readonly reason: 'deny-matched' | 'deny-error' | 'no-allow-matched';
  readonly rule: AuthorizeRule | null;
  readonly error: CelEvalError | null;
}

/**
 * 'allowed': nothing denied in this phase and the allow requirement is met (or there is none);
 * a later phase's deny rules may still deny. 'pending': nothing denied, no allow rule matched
 * yet, and the protocol phase has allow rules that may.
 */
export type AuthorizeOutcome = 'allowed' | 'pending' | AuthorizeDenial;

const PHASES: readonly CelPhase[] = ['request', 'llm', 'mcp', 'a2a'];

interface PhaseRules {
  readonly allow: readonly AuthorizeRule[];
  readonly deny: readonly AuthorizeRule[];
}
const NO_RULES: PhaseRules = Object.freeze({ allow: Object.freeze([]), deny: Object.freeze([]) });

export interface AuthorizeSource {
  readonly allow?: readonly string[] | undefined;
  readonly deny?: readonly string[] | undefined;
}

export class AuthorizeRules {
  /** Every rule, allow rules first, in config order. */
  readonly rules: readonly AuthorizeRule[];
  /** True when there are allow rules at all (an allow requirement to meet). */
  readonly hasAllow: boolean;
  readonly #byPhase: Readonly<Record<CelPhase, PhaseRules>>;

  constructor(rules: readonly AuthorizeRule[]) {
    this.rules = Object.freeze([...rules]);
    this.hasAllow = rules.some((r) => r.effect === 'allow');
    const byPhase = {} as Record<CelPhase, PhaseRules>;
    for (const phase of PHASES) {
      const allow = rules.filter((r) => r.effect === 'allow' && r.cel.phase === phase);
      const deny = rules.filter((r) => r.effect === 'deny' && r.cel.phase === phase);
      byPhase[phase] = allow.length + deny.length === 0 ? NO_RULES : Object.freeze({ allow: Object.freeze(allow), deny: Object.freeze(deny) });
    }
    this.#byPhase = Object.freeze(byPhase);
  }

  /**
   * Whether `check(phase, ...)` has anything to do, so the caller can skip building that
   * phase's activation. For 'request' this is also true when there are allow rules in any
   * phase: the request phase is where an unmet allow requirement is settled or deferred.
   */
  has(phase: CelPhase): boolean {
    const p = this.#byPhase[phase];
    if (p !== NO_RULES) return true;
    return phase === 'request' && this.hasAllow;
  }

  /** Whether the phase has allow rules (the request phase defers to it only then). */
  hasAllowIn(phase: CelPhase): boolean {
    return this.#byPhase[phase].allow.length > 0;
  }

  /**
   * Evaluates this phase's rules. `satisfied`: an earlier phase's allow rule matched (the
   * request phase's outcome was 'allowed'). `next`: for the request phase, the protocol
   * phase this request will reach ('llm' on an llm route, ...; null for an http backend), so
   * an unmet allow requirement waits only when that phase can still meet it. Ignored in
   * protocol phases, which are last. Pure: an MCP handler may check each tool against the
   * same request-phase outcome.
   */
  check(phase: CelPhase, activation: CelActivation, satisfied: boolean, next: CelPhase | null = null): AuthorizeOutcome {
    const p = this.#byPhase[phase];
    for (const rule of p.deny) {
      const r = rule.cel.test(activation);
      if (r === true) return { kind: 'deny', reason: 'deny-matched', rule, error: null };
      if (r !== false) return { kind: 'deny', reason: 'deny-error', rule, error: r };
    }
    if (satisfied || !this.hasAllow) return 'allowed';
    let firstError: AuthorizeRule | null = null;
    let error: CelEvalError | null = null;
    for (const rule of p.allow) {
      const r = rule.cel.test(activation);
      if (r === true) return 'allowed';
      if (r !== false && error === null) { firstError = rule; error = r; }
    }
    if (phase === 'request' && next !== null && next !== 'request' && this.#byPhase[next].allow.length > 0) return 'pending';
    return { kind: 'deny', reason: 'no-allow-matched', rule: firstError, error };
  }
}

/**
 * Compiles one authorize policy. A rule that does not compile throws CelCompileError at
 * its path (`[...path, 'allow', i]`); so does a rule whose type cannot be a boolean.
 */
export function compileAuthorize(spec: AuthorizeSource, path: readonly (string | number)[]): AuthorizeRules {
  const rules: AuthorizeRule[] = [];
  const add = (effect: 'allow' | 'deny', sources: readonly string[] | undefined): void => {
    (sources ?? []).forEach((source, i) => {
      const at = [...path, effect, i];
      let cel: CompiledCel;
      try {
        cel = compileCel(source);
      } catch (err) {
        if (err instanceof CelCompileError) throw err.at(at);
        throw err;
      }
      if (cel.type !== 'bool' && cel.type !== 'dyn') {
        throw new CelCompileError(`is a ${cel.type} expression; a rule must be true or false`, null, at);
      }
      rules.push(Object.freeze({ effect, path: Object.freeze(at), cel }));
    });
  };
  add('allow', spec.allow);
  add('deny', spec.deny);
  return new AuthorizeRules(rules);
}

/**
 * The authorize policies of one route (listener's, then route's): all must pass. The
 * per-request state is a number: bit i set when rule set i's allow requirement is met.
 * Up to 31 rule sets.
 */
export class AuthorizeChain {
  readonly members: readonly AuthorizeRules[];
  /** The state before the request phase. */
  static readonly START = 0;

  constructor(members: readonly AuthorizeRules[]) {
    if (members.length > 31) throw new RangeError('at most 31 authorize policies on one route');
    this.members = Object.freeze([...members]);
  }

  has(phase: CelPhase): boolean {
    for (const m of this.members) if (m.has(phase)) return true;
    return false;
  }

  /**
   * Runs every member's rules of `phase`. Returns the new state (a number) to pass to the
   * next phase, or the first denial. A member's 'pending' leaves its bit clear; its protocol
   * phase then decides.
   */
  check(phase: CelPhase, activation: CelActivation, state: number, next: CelPhase | null = null): number | AuthorizeDenial {
    const ms = this.members;
    let out = state;
    for (let i = 0; i < ms.length; i++) {
      const m = ms[i]!;
      if (!m.has(phase)) continue;
      const bit = 1 << i;
      const r = m.check(phase, activation, (state & bit) !== 0, next);
      if (r === 'allowed') out |= bit;
      else if (r !== 'pending') return r;
    }
    return out;
  }
}
