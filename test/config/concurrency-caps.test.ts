// Concurrency caps in config: an http backend's `connections` with its `queue` (defaults
// 128, 1024 waiting, 5 s), an llm model's optional `connections` + `queue` (no cap by
// default); a queue without a cap, or a cap on a virtual model, is an error at its path.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { configError, issueAt, load, MINIMAL } from './support.js';

const llm = `gateway: { admin: off }
listeners:
  - { name: edge, port: 0, routes: [{ name: llm, match: { path: /v1 }, backend: models }] }
backends:
  models:
    llm:
      models:
`;

test('an http backend: defaults, and a queue set in the file', () => {
  const be = load(MINIMAL).backends.get('app')!;
  assert.ok(be.kind === 'http');
  assert.deepEqual([be.connections, be.queueSize, be.queueTimeoutMs], [128, 1024, 5000]);
  const set = load(MINIMAL.replace('http: { url: "http://127.0.0.1:9" }', 'http: { url: "http://127.0.0.1:9", connections: 4, queue: { size: 0, timeout: 250ms } }')).backends.get('app')!;
  assert.ok(set.kind === 'http');
  assert.deepEqual([set.connections, set.queueSize, set.queueTimeoutMs], [4, 0, 250]);
});

test('an llm model has no cap unless it sets connections; the queue defaults then apply', () => {
  const be = load(`${llm}        - { name: free, provider: openai, apiKey: sk-aaaaaaaa }
        - { name: capped, provider: openai, apiKey: sk-aaaaaaaa, connections: 50 }
        - { name: queued, provider: openai, apiKey: sk-aaaaaaaa, connections: 2, queue: { size: 10, timeout: 1s } }
`).backends.get('models')!;
  assert.ok(be.kind === 'llm');
  assert.deepEqual(be.models.map((m) => m.cap), [
    undefined,
    { connections: 50, queueSize: 1024, queueTimeoutMs: 5000 },
    { connections: 2, queueSize: 10, queueTimeoutMs: 1000 },
  ]);
});

test('a queue without connections on an llm model is an error', () => {
  const err = configError(`${llm}        - { name: m, provider: openai, apiKey: sk-aaaaaaaa, queue: { size: 5 } }
`);
  assert.match(issueAt(err, 'backends.models.llm.models[0].queue').message, /no effect without connections/);
});

test('connections on a virtual model is an error: caps belong on its targets', () => {
  const err = configError(`${llm}        - { name: a, provider: openai, apiKey: sk-aaaaaaaa }
        - { name: v, failover: [a], connections: 3 }
`);
  assert.match(issueAt(err, 'backends.models.llm.models[1].connections').message, /belongs on the concrete models/);
});

test('an unknown key in queue is named', () => {
  const err = configError(MINIMAL.replace('http: { url: "http://127.0.0.1:9" }', 'http: { url: "http://127.0.0.1:9", queue: { length: 5 } }'));
  assert.ok(err.issues.some((i) => i.path === 'backends.app.http.queue.length'), err.message);
});
