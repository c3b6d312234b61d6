// The StateStore contract against Redis + Postgres: a random Redis key prefix and a Postgres
// schema of this file's own; two `open` calls are two replicas sharing both. Once for the
// strict store (every call asks Redis) and once with leases (the default).
import { openState } from '../../src/state/index.js';
import { contract } from './contract.js';
import { isolate, servicesOk, REDIS_URL, type Isolated } from './services.js';

let env: Isolated;
contract('redis+postgres', {
  async setup() { env = await isolate(); },
  async teardown() { await env.cleanup(); },
  available: (t) => servicesOk(t, env),
  sharedLive: true,
  open: () => openState({ kind: 'redis+postgres', redisUrl: REDIS_URL, postgresUrl: env.postgresUrl, prefix: env.prefix, leases: false }),
});

contract('redis+postgres', {
  async setup() { env = await isolate(); },
  async teardown() { await env.cleanup(); },
  available: (t) => servicesOk(t, env),
  sharedLive: true,
  leased: true,
  open: () => openState({ kind: 'redis+postgres', redisUrl: REDIS_URL, postgresUrl: env.postgresUrl, prefix: env.prefix }),
});
