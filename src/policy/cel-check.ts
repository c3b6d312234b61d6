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
 * The problem of a key expression (rateLimit.key, budget.key), or null. A key may read a
 * protocol variable (llm.*, mcp.*, a2a.*), which the call gate sets: a `requests` limit with
 * such a key counts that protocol's calls in the gate, once per call. `metered`: the key is
 * also used for what only a metered protocol's calls carry (tokens, USD: a `tokens` limit, a
 * budget), so it may read only a metered protocol's variable (llm).
 */
export function keyExpressionProblem(source: string, metered = false): string | null {
  try {
    const c = compileCel(source);
    const protocol = protocolPhaseOf(c.phase);
    if (protocol === null || protocol.metered || !metered) return null;
    return `reads ${c.phase}.*, but ${c.phase} calls carry no tokens or cost: only a requests limit can key on it`;
  } catch (err) {
    if (err instanceof CelCompileError) return err.message;
    throw err;
  }
}
