// The StateStore contract against SQLite: a real file in a temp folder, opened through openState.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openState } from '../../src/state/index.js';
import { contract } from './contract.js';

let dir = '';
contract('sqlite', {
  async setup() { dir = mkdtempSync(join(tmpdir(), 'agentedge-state-')); },
  async teardown() { rmSync(dir, { recursive: true, force: true }); },
  available: () => true,
  sharedLive: false,
  open: () => openState({ kind: 'sqlite', path: join(dir, 'nested', 'state.db') }),
});
