// A gateway in its own process (`agentedge serve`, from source through tsx): for tests that
// need two replicas or a kill -9. Resolves once the gateway logged that it started, with its
// listeners' ports; the process is killed after the test file if the test did not stop it.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { after } from 'node:test';
import { REPO } from '../cli/run-cli.js';

export interface ProcessGateway {
  readonly child: ChildProcess;
  /** Base URL of the first listener. */
  readonly url: string;
  readonly adminUrl: string | null;
  /** Everything the process wrote so far. */
  output(): string;
  /** Sends a signal and waits for the process to exit. */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

export function spawnGateway(configPath: string, env: Record<string, string> = {}): Promise<ProcessGateway> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(REPO, 'test/helpers/cli-entry.ts'), 'serve', '--config', configPath], {
    cwd: REPO,
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  after(() => { if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL'); });
  let out = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async (signal: NodeJS.Signals = 'SIGTERM'): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    await exited;
  };
  return new Promise((resolve, reject) => {
    const onData = (d: string): void => {
      out += d;
      for (const line of out.split('\n')) {
        if (!line.includes('"agentedge started"')) continue;
        const rec = JSON.parse(line) as { listeners: { port: number }[]; admin: number | null };
        child.stdout.off('data', onData);
        child.stdout.on('data', (more: string) => { out += more; });
        resolve({
          child,
          url: `http://127.0.0.1:${rec.listeners[0]!.port}`,
          adminUrl: rec.admin === null ? null : `http://127.0.0.1:${rec.admin}`,
          output: () => out,
          stop,
        });
        return;
      }
    };
    child.stdout.setEncoding('utf8').on('data', onData);
    child.stderr.setEncoding('utf8').on('data', (d: string) => { out += d; });
    child.once('exit', (code) => reject(new Error(`gateway exited (${code}) before it started:\n${out}`)));
  });
}
