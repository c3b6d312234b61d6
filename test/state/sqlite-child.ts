// A child process for the SQLite tests: node --import tsx sqlite-child.ts <mode> <file>.
//   settle: reserves and settles, then kills itself with SIGKILL at the end of that
//   event-loop turn (the store commits then).
//   usage:  records usage, then SIGKILL at the end of that event-loop turn (the contract's promise).
//   busy:   records usage, and again in the next turn, within the store's commit interval (the
//   second entry waits for the interval to end); SIGKILL on a timer due after that.
//   open:   opens the file (running the migrations) and exits normally.
import { openState, type UsageEntry } from '../../src/state/index.js';

const [mode, file] = process.argv.slice(2);
if (!mode || !file) throw new Error('usage: sqlite-child.ts <settle|usage|busy|open> <file>');
const store = await openState({ kind: 'sqlite', path: file });

if (mode === 'settle') {
  await store.reserve('kill|bucket', 10, 1, 'r1', 60_000);
  await store.settle('kill|bucket', 'r1', 0.42);
  setImmediate(() => process.kill(process.pid, 'SIGKILL'));
} else if (mode === 'usage') {
  store.recordUsage(entry('req_killed'));
  setImmediate(() => process.kill(process.pid, 'SIGKILL'));
} else if (mode === 'busy') {
  store.recordUsage(entry('req_first'));
  setImmediate(() => {
    store.recordUsage(entry('req_second'));
    // Timers fire in the order they are due: the commit's (at most 5 ms) before this one.
    setTimeout(() => process.kill(process.pid, 'SIGKILL'), 50);
  });
} else if (mode === 'open') {
  await store.close();
}

function entry(requestId: string): UsageEntry {
  return {
    time: 1_700_000_000_000, requestId, identityKind: 'apiKey', identity: 'alice', metadata: { team: 'a' },
    route: 'llm', model: 'gpt', target: 'gpt-4o', provider: 'openai', inputTokens: 3, outputTokens: 4, costUsd: 0.5,
    status: 200, latencyMs: 7, estimated: false,
  };
}
