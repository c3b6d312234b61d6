// Config validation's view of CEL: whether a rule or a key expression compiles, and why
// not, so that a bad expression is a config error naming its path before anything runs.
import { compileAuthorize } from './authorize.js';
import { CelCompileError, compileCel } from './cel.js';

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
 * The problem of a key expression (rateLimit.key, budget.key), or null. `beforeModel`: the
 * key is also used before the model is known (a request limit), so it cannot read llm.*.
 */
export function keyExpressionProblem(source: string, beforeModel = false): string | null {
  try {
    const c = compileCel(source);
    if (c.phase === 'mcp' || c.phase === 'a2a') return `reads ${c.phase}.*, which limits and budgets never see`;
    if (beforeModel && c.phase === 'llm') return 'reads llm.*, but a request limit is counted before the model is known';
    return null;
  } catch (err) {
    if (err instanceof CelCompileError) return err.message;
    throw err;
  }
}
