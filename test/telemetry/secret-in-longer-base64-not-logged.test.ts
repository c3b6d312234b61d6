// Secret leakage (RELIABILITY 27): a secret inside a longer base64 value, at any byte
// offset (`base64("Bearer " + key)`, `base64("user:" + key)`, a base64 JSON blob), is
// scrubbed from log lines like its plain base64: the log scrubber uses secretForms, which
// has the secret's base64 for each of the three offsets a 3-byte group allows.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'undici';
import { secretForms } from '../../src/config/index.js';
import { secretScrubber } from '../../src/telemetry/logger.js';
import { startGateway } from '../helpers/gateway.js';
import { startUpstream, waitFor } from '../helpers/upstream.js';

const TOKEN = 'Adm1n-token-0123456789abcdef';
const wrapped = (s: string) => [
  Buffer.from(`Bearer ${s}`).toString('base64'),
  Buffer.from(`user:${s}`).toString('base64url'),
  Buffer.from(`{"token":"${s}"}`).toString('base64'),
  Buffer.from(`xy${s}z`).toString('base64'),
];
/** What a reader could decode the secret from: the middle of its base64 at each offset. */
const leaks = (text: string, s: string) => wrapped(s).filter((w) => text.includes(w.slice(4, -4)));

test('the scrubber finds a secret in a longer base64 value, at every offset', () => {
  const scrub = secretScrubber(() => [TOKEN]);
  for (const w of wrapped(TOKEN)) {
    const line = scrub(`{"msg":"request","header":"${w}"}`);
    assert.ok(!secretForms(TOKEN).some((f) => line.includes(f)));
    assert.deepEqual(leaks(line, TOKEN), [], `left in ${line}`);
    assert.match(line, /\[redacted\]/);
  }
});

test('a path carrying base64("Bearer <admin token>") is access-logged scrubbed', async (t) => {
  const up = await startUpstream();
  const gw = await startGateway(`gateway:
  admin: { host: 127.0.0.1, port: 0, token: "\${ADMIN_TOKEN}" }
listeners:
  - name: edge
    port: 0
    routes:
      - { name: api, match: { path: /api }, backend: up }
backends:
  up:
    http: { url: "${up.url}" }
`, { env: { ADMIN_TOKEN: TOKEN } });
  t.after(async () => { await gw.close(); await up.close(); });
  const r = await request(`${gw.url()}/api/${wrapped(TOKEN).map(encodeURIComponent).join('/')}`);
  assert.equal(r.statusCode, 200);
  await r.body.dump();
  await waitFor(() => gw.logs.some((l) => l.access?.route === 'api'), 5000, 'the access line');
  await gw.gw.close(1000);
  assert.deepEqual(leaks(gw.logText(), TOKEN), []);
});
