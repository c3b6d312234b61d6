// SQLite durability: a process killed with SIGKILL right after the event-loop turn that
// settled (or recorded usage) has lost nothing when the file is opened again.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { openState } from '../../src/state/index.js';

const child = fileURLToPath(new URL('./sqlite-child.ts', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'agentedge-kill-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Runs the child to its end; answers the signal that ended it. */
function run(mode: string, file: string): Promise<NodeJS.Signals | null> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ['--import', 'tsx', child, mode, file], { stdio: ['ignore', 'ignore', 'inherit'] });
    p.on('error', reject);
    p.on('exit', (code, signal) => (signal || code === 0 ? resolve(signal) : reject(new Error(`child exited ${code}`))));
  });
}

test('sqlite: spend settled just before SIGKILL is there after reopening', async () => {
  const file = join(dir, 'settle.db');
  assert.equal(await run('settle', file), 'SIGKILL');
  const store = await openState({ kind: 'sqlite', path: file });
  try {
    assert.deepEqual(await store.budget('kill|bucket'), { spentUsd: 0.42, reservedUsd: 0 });
  } finally { await store.close(); }
});

test('sqlite: usage recorded in the event-loop turn before SIGKILL is there after reopening', async () => {
  const file = join(dir, 'usage.db');
  assert.equal(await run('usage', file), 'SIGKILL');
  const store = await openState({ kind: 'sqlite', path: file });
  try {
    const rows = await store.queryUsage({ identity: 'alice' });
    assert.deepEqual(rows.map((r) => 'requestId' in r && r.requestId), ['req_killed']);
  } finally { await store.close(); }
});

test('sqlite: usage recorded within the commit interval of a busy store is there once the interval is over', async () => {
  const file = join(dir, 'busy.db');
  assert.equal(await run('busy', file), 'SIGKILL');
  const store = await openState({ kind: 'sqlite', path: file });
  try {
    const rows = await store.queryUsage({ identity: 'alice' });
    assert.deepEqual(rows.map((r) => 'requestId' in r && r.requestId).sort(), ['req_first', 'req_second']);
  } finally { await store.close(); }
});
