// A bad file on reload (RELIABILITY 30): YAML syntax error, unknown key, unknown backend.
// Each keeps the old config serving, counts a failed reload, sets the success gauge to 0
// and logs why with path and line; the next good file recovers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'undici';
import { startGateway } from '../helpers/gateway.js';
import { startUpstream, waitFor } from '../helpers/upstream.js';
import { gatewayYaml } from './configs.js';
import { metricValue } from './support.js';

async function status(url: string): Promise<number> {
  const r = await request(url);
  await r.body.dump();
  return r.statusCode;
}

test('bad files keep the old config serving and say why; a good file recovers', async (t) => {
  const up = await startUpstream();
  const backends = { up: up.url };
  const good = gatewayYaml({ routes: { a: { path: '/a' } }, backends });
  const gw = await startGateway(good, { watch: true });
  t.after(async () => { await gw.close(); await up.close(); });
  const metrics = async () => (await request(`${gw.adminUrl()}/metrics`)).body.text();

  const bad: { name: string; yaml: string; where: RegExp }[] = [
    { name: 'syntax error', yaml: good.replace('routes:\n', 'routes:\n      - { name: x, match: { path: /x }\n'), where: /\(line \d+, column \d+\)/ },
    { name: 'unknown key', yaml: good.replace('match: {', 'matchh: {'), where: /listeners\[0\]\.routes\[0\]\.matchh \(line 8, column \d+\)/ },
    { name: 'unknown backend', yaml: good.replace('backend: up', 'backend: nowhere'), where: /listeners\[0\]\.routes\[0\]\.backend \(line 8, column \d+\).*nowhere/ },
  ];
  let failed = 0;
  for (const b of bad) {
    gw.writeConfig(b.yaml);
    failed++;
    await waitFor(async () => metricValue(await metrics(), 'agentedge_config_reloads_total', { result: 'failed' }) === failed, 20_000, `the ${b.name} reload to fail`);
    const text = await metrics();
    assert.equal(metricValue(text, 'agentedge_config_last_reload_success'), 0, b.name);
    const line = gw.logs.filter((l) => typeof l.msg === 'string' && l.msg.startsWith('config reload failed')).at(-1);
    assert.ok(line, `a log line for the ${b.name}`);
    assert.match(line.msg, b.where, b.name);
    assert.equal(line.level, 'error');
    assert.equal(await status(`${gw.url()}/a`), 200, `old config still serves after the ${b.name}`);
  }

  gw.writeConfig(gatewayYaml({ routes: { a: { path: '/a' }, b: { path: '/b' } }, backends }));
  await waitFor(async () => (await status(`${gw.url()}/b`)) === 200, 20_000, 'the good file to apply');
  const text = await metrics();
  assert.equal(metricValue(text, 'agentedge_config_last_reload_success'), 1);
  assert.equal(metricValue(text, 'agentedge_config_reloads_total', { result: 'ok' }), 1);
  assert.equal(metricValue(text, 'agentedge_config_reloads_total', { result: 'failed' }), 3);
});
