// The same config written in block style and in flow style, with the same references,
// loads to the same values: where a reference sits does not change what it means.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadConfigText } from '../../src/gateway/config.js';

const block = `gateway:
  admin: off
listeners:
  - name: edge
    host: \${HOST:-127.0.0.1}
    port: \${PORT}
    routes:
      - name: web
        backend: app
        match:
          methods:
            - \${METHOD}
backends:
  app:
    http:
      url: http://\${UPSTREAM_HOST}:8080/\${BASE:-v1}
`;

const flow = `gateway: { admin: off }
listeners: [{ name: edge, host: \${HOST:-127.0.0.1}, port: \${PORT}, routes: [{ name: web, backend: app, match: { methods: [\${METHOD}] } }] }]
backends: { app: { http: { url: http://\${UPSTREAM_HOST}:8080/\${BASE:-v1} } } }
`;

test('block and flow style give the same config', () => {
  const env = { PORT: '8080', METHOD: 'POST', UPSTREAM_HOST: 'upstream.test' };
  const a = loadConfigText(block, '/virtual/block.yaml', env);
  const b = loadConfigText(flow, '/virtual/flow.yaml', env);
  assert.deepEqual(b.config, a.config);
  assert.equal(a.config.listeners[0]!.port, 8080);
  assert.deepEqual([...b.envValues].sort(), [...a.envValues].sort());
});
