// Runs the agentedge CLI in a child process and collects its exit code and output.
// From source by default (test/helpers/cli-entry.ts through tsx, so no build is needed),
// or the installed entry point bin/agentedge.js (which needs dist/).
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import { fileURLToPath } from 'node:url';

export const REPO = fileURLToPath(new URL('../..', import.meta.url));
const ENTRY = join(REPO, 'test/helpers/cli-entry.ts');

export interface CliResult { code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }

export interface CliOptions {
  /** Extra environment; the child otherwise gets only PATH, so the parent's env cannot leak in. */
  env?: Record<string, string>;
  /** Run bin/agentedge.js (built dist/) instead of the source entry. */
  bin?: boolean;
  cwd?: string;
}

export function runCli(args: string[], opts: CliOptions = {}): Promise<CliResult> {
  const argv = opts.bin ? [join(REPO, 'bin/agentedge.js'), ...args] : ['--import', 'tsx', ENTRY, ...args];
  const child = spawn(process.execPath, argv, {
    cwd: opts.cwd ?? REPO,
    env: { PATH: process.env.PATH ?? '', ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
  child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
  // A test that fails mid-way must not leave a gateway running.
  after(() => { if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL'); });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

/** Writes `yaml` into a fresh temp folder (removed after the test file) and returns its path. */
export function configFile(yaml: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'agentedge-cli-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'agentedge.yaml');
  writeFileSync(file, yaml);
  return file;
}

/** The `path (line L, column C): message` shape `agentedge validate` promises for each issue. */
export const ISSUE_LINE = /^\S+ \(line \d+, column \d+\): \S/;
