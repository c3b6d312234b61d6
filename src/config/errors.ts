// Config errors carry the YAML path and the source position, and print as
// `path (line L, column C): message`, the format `agentedge validate` promises.
// A message may quote a value from the file (an unknown backend name, a file path); values
// that came from the environment are scrubbed here, the one place every issue passes.
import { scrubSecrets } from './secret.js';

export interface ConfigIssue {
  /** e.g. "listeners[0].routes[1].backend"; "" for the whole file. */
  path: string;
  line: number;
  column: number;
  message: string;
}

export function formatIssue(i: ConfigIssue): string {
  const where = i.path === '' ? '(root)' : i.path;
  return `${where} (line ${i.line}, column ${i.column}): ${i.message}`;
}

export class ConfigError extends Error {
  readonly issues: readonly ConfigIssue[];
  readonly file: string;
  /** `secrets`: values (from the environment) that must not appear in any message. */
  constructor(file: string, issues: readonly ConfigIssue[], secrets: Iterable<string> = []) {
    const list = [...secrets];
    const clean = issues.map((i) => Object.freeze({ ...i, message: scrubSecrets(i.message, list) }));
    super(`${file}: invalid configuration\n${clean.map(formatIssue).join('\n')}`);
    this.name = 'ConfigError';
    this.file = file;
    this.issues = clean;
  }
}

export function formatPath(segments: readonly (string | number)[]): string {
  let out = '';
  for (const s of segments) {
    if (typeof s === 'number') out += `[${s}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_-]*$/.test(s)) out += out === '' ? s : `.${s}`;
    else out += `[${JSON.stringify(s)}]`;
  }
  return out;
}

/** Words for the errno codes a config file read can fail with. */
export function fileErrorText(err: unknown): string {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  switch (code) {
    case 'ENOENT': return 'file not found';
    case 'EACCES':
    case 'EPERM': return 'permission denied';
    case 'EISDIR': return 'is a folder, not a file';
    default: return `cannot read it (${code ?? 'unknown error'})`;
  }
}

/** Levenshtein distance, small inputs only (config keys). */
export function editDistance(a: string, b: string): number {
  const prev = new Array<number>(b.length + 1);
  for (let j = 0; j <= b.length; j++) prev[j] = j;
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = prev[j]!;
      prev[j] = Math.min(prev[j]! + 1, prev[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = tmp;
    }
  }
  return prev[b.length]!;
}

/** The nearest candidate within a sensible distance, compared case-insensitively. */
export function nearest(word: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  const w = word.toLowerCase();
  for (const c of candidates) {
    const d = editDistance(w, c.toLowerCase());
    if (d < bestD) { best = c; bestD = d; }
  }
  const limit = Math.max(2, Math.floor(word.length / 3));
  return bestD <= limit ? best : undefined;
}
