// composeObservers: with no subscriber every event is absent (an emitter's `obs.x?.()` then
// costs a property read); an event one subscriber implements is that subscriber's method;
// one several implement calls each, in order, with the event's arguments.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { composeObservers, type RequestObserver, type RequestContext } from '../../src/core/index.js';

const EVENTS = [
  'start', 'decision', 'attemptStart', 'attemptEnd', 'firstByte', 'end', 'internalError',
  'upstreamError', 'upstreamRetry', 'upstreamOverloaded', 'upstreamQueue', 'credentialsFailed',
  'downstreamRejected', 'stateStoreError', 'budgetSettleFailed', 'budgetUnpriced',
] as const;

test('composeObservers with no subscribers has no event methods', () => {
  const obs = composeObservers();
  for (const name of EVENTS) assert.equal(obs[name], undefined, name);
  assert.deepEqual(Object.keys(obs), []);
  assert.deepEqual(Object.keys(composeObservers({}, {})), []);
});

test('composeObservers keeps only the events some subscriber implements, and calls each in order', () => {
  const calls: string[] = [];
  const a: RequestObserver = {
    end: (ctx) => calls.push(`a end ${ctx.id}`),
    upstreamError: (backend, code) => calls.push(`a ${backend} ${code}`),
  };
  class B implements RequestObserver {
    readonly tag = 'b';
    // A method that reads `this`: composing keeps it bound to its subscriber.
    end(ctx: RequestContext): void { calls.push(`${this.tag} end ${ctx.id}`); }
  }
  const obs = composeObservers(a, new B());
  assert.deepEqual(Object.keys(obs).sort(), ['end', 'upstreamError']);
  assert.equal(obs.start, undefined);
  obs.end!({ id: 'r1' } as RequestContext);
  obs.upstreamError!('up', 'AE_UPSTREAM_TIMEOUT');
  assert.deepEqual(calls, ['a end r1', 'b end r1', 'a up AE_UPSTREAM_TIMEOUT']);
});
