// Opening SQLite state: missing folders are created, the file is in WAL mode, ":memory:"
// works, and processes opening one new file at once each find the schema applied once.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { openState } from '../../src/state/index.js';
import { SQLITE_MIGRATIONS } from '../../src/state/migrations/sqlite.js';

const child = fileURLToPath(new URL('./sqlite-child.ts', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'agentedge-open-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('sqlite: creates missing folders and uses WAL', async () => {
  const file = join(dir, 'a', 'b', 'state.db');
  const store = await openState({ kind: 'sqlite', path: file });
  assert.equal(store.kind, 'sqlite');
  await store.close();
  assert.ok(existsSync(file));
  const db = new Database(file, { readonly: true });
  try {
    assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
  } finally { db.close(); }
});

test('sqlite: ":memory:" opens a private store', async () => {
  const store = await openState({ kind: 'sqlite', path: ':memory:' });
  await store.settle('b', 'r', 1);
  assert.deepEqual(await store.budget('b'), { spentUsd: 1, reservedUsd: 0 });
  await store.close();
});

test('sqlite: six processes opening one new file at once apply each migration once', async () => {
  const file = join(dir, 'race', 'state.db');
  const codes = await Promise.all(Array.from({ length: 6 }, () => new Promise<number | null>((resolve, reject) => {
    const p = spawn(process.execPath, ['--import', 'tsx', child, 'open', file], { stdio: ['ignore', 'ignore', 'inherit'] });
    p.on('error', reject);
    p.on('exit', (code) => resolve(code));
  })));
  assert.deepEqual(codes, [0, 0, 0, 0, 0, 0]);
  const db = new Database(file, { readonly: true });
  try {
    const versions = db.prepare('SELECT version FROM schema_migrations ORDER BY version').pluck().all();
    assert.deepEqual(versions, SQLITE_MIGRATIONS.map((m) => m.version));
  } finally { db.close(); }
});
