// The README's tour, run for real: the demo upstreams and a gateway serving
// config/quickstart.yaml (its ports come from PORT, ADMIN_PORT and DEMO_UPSTREAM, set to
// port 0 and the echo server here), then every command the tour shows, checked against
// what the README says it does. The README must show exactly these commands, in this
// order, so the two cannot drift apart.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { request } from 'undici';
import { Gateway } from '../../src/gateway/gateway.js';
import { startDemoUpstreams } from '../../src/demo/upstreams.js';
import { main } from '../../src/cli/main.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const QUICKSTART = join(ROOT, 'config/quickstart.yaml');

/** The route the README tells you to add for the hot-reload step, byte for byte. */
const HELLO_ROUTE = `      - name: hello
        match: { path: /hello }
        stripPrefix: true
        backend: echo
`;

/** The MCP requests of the tour (2026-07-28: no session, so one curl each). */
const MCP_META = '"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{}}';
const MCP_LIST = `{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{${MCP_META}}}`;
const MCP_CALL = `{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"everything__echo","arguments":{"message":"hello"},${MCP_META}}}`;

interface Tour {
  /** localhost:8080 in the README */
  edge: string;
  /** localhost:15000 in the README */
  admin: string;
  configPath: string;
  gw: Gateway;
}

interface Step {
  /** The command exactly as the README shows it. */
  command: string;
  check(t: Tour): Promise<void>;
}

async function getJson(url: string, init?: Parameters<typeof request>[1]): Promise<{ status: number; headers: Record<string, unknown>; body: any }> {
  const res = await request(url, init);
  const text = await res.body.text();
  return { status: res.statusCode, headers: res.headers, body: JSON.parse(text) };
}

const STEPS: Step[] = [
  {
    command: 'curl -s localhost:8080/echo/hello',
    async check({ edge }) {
      const r = await getJson(`${edge}/echo/hello`);
      assert.equal(r.status, 200);
      assert.equal(r.body.method, 'GET');
      assert.equal(r.body.path, '/hello');
      assert.equal(r.body.headers['x-forwarded-for'], '127.0.0.1');
      assert.ok(r.body.headers['x-forwarded-host']);
      assert.equal(r.body.headers['x-request-id'], r.headers['x-request-id']);
    },
  },
  {
    command: `curl -s localhost:8080/echo/chat -H 'content-type: application/json' -d '{"hello":"agent"}'`,
    async check({ edge }) {
      const r = await getJson(`${edge}/echo/chat`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"hello":"agent"}' });
      assert.equal(r.status, 200);
      assert.equal(r.body.method, 'POST');
      assert.equal(r.body.path, '/chat');
      assert.equal(r.body.body, '{"hello":"agent"}');
    },
  },
  {
    command: 'curl -N localhost:8080/echo/stream',
    async check({ edge }) {
      const res = await request(`${edge}/echo/stream`);
      assert.equal(res.statusCode, 200);
      assert.equal(res.headers['content-type'], 'text/event-stream');
      const events = (await res.body.text()).split('\n\n').filter(Boolean);
      assert.deepEqual(events, [1, 2, 3, 4, 5].map((i) => `data: {"event":${i},"of":5}`).concat('data: [DONE]'));
    },
  },
  {
    command: 'curl -si localhost:8080/nope',
    async check({ edge }) {
      const r = await getJson(`${edge}/nope`);
      assert.equal(r.status, 404);
      assert.equal(r.headers['content-type'], 'application/json');
      assert.deepEqual(r.body, { error: { message: 'No route matches this request.', type: 'not_found_error', code: 'AE_ROUTE_NOT_FOUND', request_id: r.headers['x-request-id'] } });
    },
  },
  {
    command: `curl -si -X OPTIONS localhost:8080/cors/chat -H 'Origin: http://localhost:3000' -H 'Access-Control-Request-Method: POST'`,
    async check({ edge }) {
      const res = await request(`${edge}/cors/chat`, { method: 'OPTIONS', headers: { origin: 'http://localhost:3000', 'access-control-request-method': 'POST' } });
      assert.equal(res.statusCode, 204);
      assert.equal(res.headers['access-control-allow-origin'], 'http://localhost:3000');
      assert.equal(await res.body.text(), '');
    },
  },
  {
    command: `curl -s localhost:8080/cors/chat -H 'Origin: https://evil.example'`,
    async check({ edge }) {
      const r = await getJson(`${edge}/cors/chat`, { headers: { origin: 'https://evil.example' } });
      assert.equal(r.status, 403);
      assert.equal(r.body.error.code, 'AE_CORS_REJECTED');
    },
  },
  {
    command: `curl -s localhost:8080/mcp -H 'content-type: application/json' -H 'mcp-protocol-version: 2026-07-28' -H 'mcp-method: tools/list' -d '${MCP_LIST}'`,
    async check({ edge }) {
      const r = await getJson(`${edge}/mcp`, { method: 'POST', headers: { 'content-type': 'application/json', 'mcp-protocol-version': '2026-07-28', 'mcp-method': 'tools/list' }, body: MCP_LIST });
      assert.equal(r.status, 200);
      const names = (r.body.result.tools as { name: string }[]).map((tool) => tool.name);
      assert.ok(names.includes('everything__echo') && names.every((n) => n.startsWith('everything__')), names.join());
    },
  },
  {
    command: `curl -s localhost:8080/mcp -H 'content-type: application/json' -H 'mcp-protocol-version: 2026-07-28' -H 'mcp-method: tools/call' -H 'mcp-name: everything__echo' -d '${MCP_CALL}'`,
    async check({ edge }) {
      const r = await getJson(`${edge}/mcp`, { method: 'POST', headers: { 'content-type': 'application/json', 'mcp-protocol-version': '2026-07-28', 'mcp-method': 'tools/call', 'mcp-name': 'everything__echo' }, body: MCP_CALL });
      assert.equal(r.status, 200);
      assert.deepEqual(r.body.result.content, [{ type: 'text', text: 'Echo: hello' }]);
    },
  },
  {
    command: 'curl -s localhost:15000/healthz',
    async check({ admin }) {
      const r = await getJson(`${admin}/healthz`);
      assert.equal(r.status, 200);
      assert.deepEqual(r.body, { status: 'ok' });
    },
  },
  {
    command: 'curl -s localhost:15000/readyz',
    async check({ admin }) {
      const r = await getJson(`${admin}/readyz`);
      assert.equal(r.status, 200);
      assert.deepEqual(r.body, { status: 'ready' });
    },
  },
  {
    command: 'curl -s localhost:15000/metrics | grep agentedge_requests_total',
    async check({ admin }) {
      const res = await request(`${admin}/metrics`);
      assert.equal(res.statusCode, 200);
      const series = (await res.body.text()).split('\n').filter((l) => l.startsWith('agentedge_requests_total{'));
      assert.ok(series.includes('agentedge_requests_total{listener="edge",route="echo",status="200"} 3'), series.join('\n'));
      assert.ok(series.includes('agentedge_requests_total{listener="edge",route="-",status="404"} 1'), series.join('\n'));
      assert.ok(series.includes('agentedge_requests_total{listener="edge",route="browser",status="204"} 1'), series.join('\n'));
      assert.ok(series.includes('agentedge_requests_total{listener="edge",route="browser",status="403"} 1'), series.join('\n'));
    },
  },
  {
    command: 'curl -s localhost:15000/config',
    async check({ admin }) {
      const r = await getJson(`${admin}/config`);
      assert.equal(r.status, 200);
      assert.deepEqual(r.body.listeners.map((l: { name: string }) => l.name), ['edge']);
      assert.deepEqual(r.body.listeners[0].routes.map((x: { name: string }) => x.name), ['echo', 'tools', 'browser']);
      assert.deepEqual(r.body.policies['local-web'].cors.allowOrigins, ['http://localhost:3000']);
    },
  },
  {
    command: 'npx agentedge validate config/quickstart.yaml',
    async check() {
      const out: string[] = [];
      const log = console.log;
      console.log = (...args: unknown[]) => { out.push(args.join(' ')); };
      let code: number;
      try {
        code = await main(['validate', QUICKSTART]);
      } finally {
        console.log = log;
      }
      assert.equal(code, 0);
      assert.deepEqual(out, [`${QUICKSTART}: valid`]);
    },
  },
  {
    command: 'curl -s localhost:8080/hello/world',
    async check({ edge, configPath, gw }) {
      const before = await getJson(`${edge}/hello/world`);
      assert.equal(before.status, 404);
      // "add this route at the end of the routes: list and save"; then the reload the file
      // watcher would start (the watcher itself is off in tests).
      const text = readFileSync(configPath, 'utf8');
      assert.ok(text.includes('\n\nbackends:'), 'the routes list ends before a blank line and backends:');
      writeFileSync(configPath, text.replace('\n\nbackends:', `\n${HELLO_ROUTE}\nbackends:`));
      assert.deepEqual(await gw.reload(), { ok: true, changed: true });
      const after = await getJson(`${edge}/hello/world`);
      assert.equal(after.status, 200);
      assert.equal(after.body.path, '/world');
    },
  },
  {
    command: 'curl -s -X POST localhost:15000/reload',
    async check({ admin }) {
      const r = await getJson(`${admin}/reload`, { method: 'POST' });
      assert.equal(r.status, 200);
      assert.deepEqual(r.body, { ok: true, changed: false });
    },
  },
];

/** Commands in the README's "A tour" section, in order (one per line of its sh blocks). */
function readmeTourCommands(readme: string): string[] {
  const start = readme.indexOf('\n## A tour\n');
  assert.ok(start >= 0, 'README.md has a "## A tour" section');
  const end = readme.indexOf('\n## ', start + 1);
  const section = readme.slice(start, end === -1 ? undefined : end);
  const commands: string[] = [];
  for (const block of section.matchAll(/```sh\n([\s\S]*?)```/g)) {
    for (const line of block[1]!.split('\n')) if (line.trim()) commands.push(line);
  }
  return commands;
}

test('every command of the README tour gives the documented result against the quickstart', { timeout: 60_000 }, async (t) => {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  assert.deepEqual(readmeTourCommands(readme), STEPS.map((s) => s.command), 'README.md tour and this test must list the same commands');
  assert.ok(readme.includes('```yaml\n' + HELLO_ROUTE + '```'), 'README.md shows the hot-reload route exactly as this test adds it');

  const dir = mkdtempSync(join(tmpdir(), 'agentedge-tour-'));
  const configPath = join(dir, 'quickstart.yaml');
  copyFileSync(QUICKSTART, configPath);
  const demo = await startDemoUpstreams(0);
  const logs = new Writable({ write(_chunk, _enc, cb) { cb(); } });
  let gw: Gateway;
  try {
    gw = await Gateway.start({
      configPath,
      // The config is copied out of config/, so the MCP server's script is given absolute.
      env: { PORT: '0', ADMIN_PORT: '0', DEMO_UPSTREAM: demo.echoUrl, EVERYTHING_SERVER: join(ROOT, 'node_modules/@modelcontextprotocol/server-everything/dist/index.js') },
      watch: false,
      processMetrics: false,
      logDestination: logs,
    });
  } catch (err) {
    await demo.close();
    throw err;
  }
  t.after(async () => {
    await gw.close(1000);
    await demo.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const tour: Tour = {
    edge: `http://127.0.0.1:${gw.port('edge')}`,
    admin: `http://127.0.0.1:${gw.adminPort}`,
    configPath,
    gw,
  };
  for (const step of STEPS) await t.test(step.command, () => step.check(tour));
});
