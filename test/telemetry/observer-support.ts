// A subscriber that writes down the events of one request (by its x-request-id) as short
// strings, for the observer tests: "start", "decision authenticate authenticate refused AE_UNAUTHENTICATED",
// "attemptStart 1 fast", "attemptEnd 1 503 -", "firstByte", "end 200".
import type { RequestObserver } from '../../src/core/index.js';
import { waitFor } from '../helpers/upstream.js';

export interface Recorder {
  readonly observer: RequestObserver;
  readonly events: string[];
  /** Resolves once the request's `end` was seen. */
  ended(): Promise<void>;
}

export function recordRequest(requestId: string): Recorder {
  const events: string[] = [];
  const observer: RequestObserver = {
    start: (ctx) => { if (ctx.id === requestId) events.push('start'); },
    decision: (ctx, d) => { if (ctx.id === requestId) events.push(`decision ${d.phase} ${d.name} ${d.outcome}${d.code ? ` ${d.code}` : ''}`); },
    attemptStart: (ctx, a) => { if (ctx.id === requestId) events.push(`attemptStart ${a.number} ${a.target}`); },
    attemptEnd: (ctx, a, o) => {
      if (ctx.id !== requestId) return;
      if (!(o.durationMs >= 0)) throw new Error(`attempt duration ${o.durationMs}`);
      events.push(`attemptEnd ${a.number} ${o.status} ${o.error ?? '-'}`);
    },
    firstByte: (ctx) => { if (ctx.id === requestId) events.push('firstByte'); },
    end: (ctx) => { if (ctx.id === requestId) events.push(`end ${ctx.finalStatus()}`); },
  };
  return {
    observer,
    events,
    ended: () => waitFor(() => events.some((e) => e.startsWith('end ')), 5000, `the end of ${requestId}`),
  };
}
