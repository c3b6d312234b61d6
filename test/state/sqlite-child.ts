// A child process for the SQLite tests: node --import tsx sqlite-child.ts <mode> <file>.
//   settle: reserves and settles, then kills itself with SIGKILL at the end of that
//   event-loop turn (the store commits then).
//   usage:  records usage, then SIGKILL at the end of that event-loop turn (the contract's promise).
//   open:   opens the file (running the migrations) and exits normally.
import { openState } from '../../src/state/index.js';

const [mode, file] = process.argv.slice(2);
if (!mode || !file) throw new Error('usage: sqlite-child.ts <settle|usage|open> <file>');
const store = await openState({ kind: 'sqlite', path: file });

if (mode === 'settle') {
  await store.reserve('kill|bucket', 10, 1, 'r1', 60_000);
  await store.settle('kill|bucket', 'r1', 0.42);
  setImmediate(() => process.kill(process.pid, 'SIGKILL'));
} else if (mode === 'usage') {
  store.recordUsage({
    time: 1_700_000_000_000, requestId: 'req_killed', identityKind: 'apiKey', identity: 'alice', metadata: { team: 'a' },
    route: 'llm', model: 'gpt', target: 'gpt-4o', provider: 'openai', inputTokens: 3, outputTokens: 4, costUsd: 0.5,
    status: 200, latencyMs: 7, estimated: false,
  });
  setImmediate(() => process.kill(process.pid, 'SIGKILL'));
} else if (mode === 'open') {
  await store.close();
}
