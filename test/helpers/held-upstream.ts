// A gate for fake upstreams in overload tests: requests that reach it are counted and held
// until the test releases them, so "N requests are in flight upstream" is a fact the test
// waits for (bounded), never a sleep.
import { waitFor } from './upstream.js';

export interface HoldGate {
  /** Requests that reached the upstream so far. */
  readonly arrived: number;
  /** Resolves when `n` requests have arrived (fails the test after `timeoutMs`). */
  readonly arrivals: (n: number, timeoutMs?: number) => Promise<void>;
  /** Lets every held request (and every later one) answer. */
  readonly release: () => void;
  /** Counts the request, then waits for release. Call at the start of an upstream handler. */
  readonly hold: () => Promise<void>;
}

export function holdGate(): HoldGate {
  let arrived = 0;
  let open!: () => void;
  const released = new Promise<void>((r) => { open = r; });
  return {
    get arrived() { return arrived; },
    arrivals: (n, timeoutMs = 15_000) => waitFor(() => arrived >= n, timeoutMs, `${n} upstream arrivals`),
    release: () => open(),
    hold: () => { arrived++; return released; },
  };
}
