#!/usr/bin/env node
// Runs every test file under test/ with Node's built-in runner, loading TypeScript through tsx.
// Node 20's --test takes no globs, so the files are listed here. Test files run in parallel
// processes; each one starts its own loopback servers on port 0, so they never collide.
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { spawn } from 'node:child_process';
import { availableParallelism } from 'node:os';

const root = new URL('..', import.meta.url).pathname;
const args = process.argv.slice(2);
const filters = args.filter((a) => !a.startsWith('--'));

function walk(dir, out) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) { if (name !== 'fixtures') walk(p, out); }
    else if (name.endsWith('.test.ts')) out.push(relative(root, p));
  }
  return out;
}

let files = walk(join(root, 'test'), []).sort();
if (filters.length) files = files.filter((f) => filters.some((x) => f.includes(x)));
if (files.length === 0) { console.error('no test files matched'); process.exit(1); }

const concurrency = Math.max(4, availableParallelism() * 2);
const child = spawn(process.execPath, [
  '--import', 'tsx', '--test', `--test-concurrency=${concurrency}`,
  '--test-reporter=spec', ...files,
], { cwd: root, stdio: 'inherit', env: { ...process.env, AGENTEDGE_TEST: '1' } });
child.on('exit', (code, signal) => process.exit(signal ? 1 : code ?? 1));
