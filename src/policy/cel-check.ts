// Config validation's view of CEL: whether a rule or a key expression compiles, and why
// not, so that a bad expression is a config error naming its path before anything runs.
import { compileAuthorize } from './authorize.js';
import { CelCompileError, compileCel, protocolPhaseOf } from './cel.js';

export interface CelProblem {
  readonly path: readonly (string | number)[];
  readonly message: string;
}

/** Problems of an authorize policy's rules, each at its path under `path`. */
export function authorizeProblems(allow: readonly string[], deny: readonly string[], path: readonly (string | number)[]): CelProblem[] {
  const problems: CelProblem[] = [];
  // compileAuthorize stops at the first bad rule: check each rule alone to report them all.
  const one = (effect: 'allow' | 'deny', source: string, i: number): void => {
    try {
      compileAuthorize(effect === 'allow' ? { allow: [source] } : { deny: [source] }, path);
    } catch (err) {
      if (!(err instanceof CelCompileError)) throw err;
      problems.push({ path: [...path, effect, i], message: err.message });
    }
  };
  allow.forEach((s, i) => { one('allow', s, i); });
  deny.forEach((s, i) => { one('deny', s, i); });
  return problems;
}

/**
 * The problem of a key expression (rateLimit.key, budget.key), or null. A key may read the
 * variable of a metered protocol (llm: its calls carry tokens and USD), which the call gate
 * sets; `beforeModel`: the key is also used in the request phase (a request limit), before
 * any call is known, so it cannot read a protocol variable at all.
 */
export function keyExpressionProblem(source: string, beforeModel = false): string | null {
  try {
    const c = compileCel(source);
    const protocol = protocolPhaseOf(c.phase);
    if (protocol === null) return null;
    if (!protocol.metered) return `reads ${c.phase}.*, which limits and budgets never see`;
    if (beforeModel) return `reads ${c.phase}.*, but a request limit is counted before the ${protocol.calls} is known`;
    return null;
  } catch (err) {
    if (err instanceof CelCompileError) return err.message;
    throw err;
  }
}
