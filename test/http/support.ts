// Shared bits for the http backend tests: metrics, access-log lines, free ports, and a
// guard that fails a test on any unhandled rejection (RELIABILITY 10).
import net from 'node:net';
import type { TestContext } from 'node:test';
import v8 from 'node:v8';
import vm from 'node:vm';
import type { TestGateway } from '../helpers/gateway.js';
import { waitFor } from '../helpers/upstream.js';

/** Fails the test if any promise rejection goes unhandled while it runs. */
export function failOnUnhandledRejection(t: TestContext): { readonly seen: unknown[] } {
  const seen: unknown[] = [];
  const onRejection = (reason: unknown) => { seen.push(reason); };
  process.on('unhandledRejection', onRejection);
  t.after(() => {
    process.off('unhandledRejection', onRejection);
    if (seen.length > 0) throw new Error(`unhandled rejection: ${String(seen[0])}`);
  });
  return { seen };
}

/** A loopback port that nothing listens on (bound, then released). */
export async function closedPort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

/** The value of one Prometheus sample on the admin /metrics page (0 when absent). */
export async function metric(gw: TestGateway, name: string, labels: Record<string, string>): Promise<number> {
  const text = await (await fetch(`${gw.adminUrl()}/metrics`)).text();
  for (const line of text.split('\n')) {
    if (!line.startsWith(name + '{')) continue;
    const close = line.indexOf('}');
    const set = line.slice(name.length + 1, close);
    if (Object.entries(labels).every(([k, v]) => set.includes(`${k}="${v}"`))) return Number(line.slice(close + 1).trim());
  }
  return 0;
}

/** Waits for the access-log record of the request with this id. */
export async function accessLine(gw: TestGateway, requestId: string): Promise<Record<string, any>> {
  let found: Record<string, any> | undefined;
  await waitFor(() => (found = gw.logs.find((l) => l.access?.requestId === requestId)?.access) !== undefined, 5000, `access log for ${requestId}`);
  return found!;
}

/**
 * A one-shot signal between a fake upstream and a test. `wait` is bounded, so a
 * regression fails the test instead of hanging it.
 */
export function signal<T = void>(what = 'signal'): { promise: Promise<T>; resolve: (v: T) => void; wait(timeoutMs?: number): Promise<T>; readonly fired: boolean } {
  let resolve!: (v: T) => void;
  let fired = false;
  const promise = new Promise<T>((r) => { resolve = (v: T) => { fired = true; r(v); }; });
  return {
    promise,
    resolve,
    get fired() { return fired; },
    wait(timeoutMs = 10_000) {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), timeoutMs); });
      return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
    },
  };
}

let gc: (() => void) | null = null;

/** Memory after a full GC: what is live, not garbage waiting for collection. */
export function liveMemory(): NodeJS.MemoryUsage {
  if (gc === null) {
    v8.setFlagsFromString('--expose-gc');
    gc = vm.runInNewContext('gc') as () => void;
  }
  gc();
  gc(); // array buffers of the first pass are swept concurrently; the second waits for them
  return process.memoryUsage();
}
