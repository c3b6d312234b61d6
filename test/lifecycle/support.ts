// Shared by the lifecycle, admin and telemetry tests: running `agentedge serve` as a child
// process (signals need a real process), reading Prometheus text, and small socket probes.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const repo = new URL('../..', import.meta.url).pathname;
const cliEntry = join(repo, 'test/helpers/cli-entry.ts');

export type LogLine = Record<string, any>;

export interface ServeProcess {
  child: ChildProcess;
  configPath: string;
  /** Parsed JSON lines the child wrote to stdout so far. */
  lines: LogLine[];
  stdout(): string;
  stderr(): string;
  /** Resolves with the first line (already seen or future) that matches; rejects on timeout or exit. */
  waitForLine(match: (l: LogLine) => boolean, timeoutMs?: number, what?: string): Promise<LogLine>;
  /** Resolves when the child exits. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Writes `yaml` to a temp folder and runs `agentedge serve --config <file>` on it. */
export function spawnServe(yaml: string, env: Record<string, string> = {}): ServeProcess {
  const dir = mkdtempSync(join(tmpdir(), 'agentedge-cli-'));
  const configPath = join(dir, 'agentedge.yaml');
  writeFileSync(configPath, yaml);
  const child = spawn(process.execPath, ['--import', 'tsx', cliEntry, 'serve', '--config', configPath], {
    cwd: repo,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: LogLine[] = [];
  let out = '';
  let err = '';
  let partial = '';
  const waiters = new Set<() => void>();
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    out += chunk;
    partial += chunk;
    const parts = partial.split('\n');
    partial = parts.pop()!;
    for (const p of parts) {
      if (!p.trim()) continue;
      try { lines.push(JSON.parse(p)); } catch { lines.push({ msg: p }); }
    }
    for (const w of waiters) w();
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => { err += chunk; });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    // 'close' comes after the pipes ended, so every line the child wrote is in `lines`.
    child.once('close', (code, signal) => resolve({ code, signal }));
  });
  let exitedFlag = false;
  void exited.then(() => { exitedFlag = true; for (const w of waiters) w(); });

  const waitForLine = (match: (l: LogLine) => boolean, timeoutMs = 60_000, what = 'a log line') =>
    new Promise<LogLine>((resolve, reject) => {
      const check = () => {
        const found = lines.find(match);
        if (found) { done(); resolve(found); return; }
        if (exitedFlag) { done(); reject(new Error(`child exited before ${what}; stderr: ${err}`)); }
      };
      const timer = setTimeout(() => { done(); reject(new Error(`timed out waiting for ${what}; stdout: ${out}; stderr: ${err}`)); }, timeoutMs);
      const done = () => { clearTimeout(timer); waiters.delete(check); };
      waiters.add(check);
      check();
    });

  return { child, configPath, lines, stdout: () => out, stderr: () => err, waitForLine, exited };
}

/** Ports from the `agentedge started` line: listener name → port, plus the admin port. */
export async function startedPorts(p: ServeProcess): Promise<{ ports: Record<string, number>; admin: number | null }> {
  const line = await p.waitForLine((l) => l.msg === 'agentedge started', 60_000, '"agentedge started"');
  const ports: Record<string, number> = {};
  for (const l of line.listeners as { name: string; port: number }[]) ports[l.name] = l.port;
  return { ports, admin: line.admin as number | null };
}

/** Kills the child if a test failed before it exited. */
export function killQuietly(p: ServeProcess): void {
  if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
}

/** Resolves 'refused' when nothing accepts on the port, 'accepted' otherwise. */
export function probePort(port: number): Promise<'refused' | 'accepted'> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => { s.destroy(); resolve('accepted'); });
    s.once('error', (e: NodeJS.ErrnoException) => (e.code === 'ECONNREFUSED' ? resolve('refused') : reject(e)));
  });
}

/** A port that was free a moment ago (bound and released). */
export async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/**
 * The value of one sample in Prometheus text, or undefined when absent. `labels` must
 * match exactly the sample's label set (in any order).
 */
export function metricValue(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const got: Record<string, string> = {};
    for (const lm of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) got[lm[1]!] = lm[2]!;
    const want = Object.entries(labels);
    if (want.length === Object.keys(got).length && want.every(([k, v]) => got[k] === v)) return Number(m[3]);
  }
  return undefined;
}
