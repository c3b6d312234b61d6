#!/usr/bin/env node
// MCP tools/call at concurrency 1 only (issue 12's added-p50 condition), for A/B work on the
// per-call path on a noisy machine: the SDK server of mcp-upstream.mjs, one or two built
// gateways in front of it (config as in run.mjs), one session on each, and the MCP server
// called directly. Each round runs N sequential calls on each in turn (direct, gateway a,
// gateway b): many short rounds (ROUNDS=30 N=200) let two builds share the machine's
// changing load. Prints p50/p90/p99, added p50 (gateway − direct), the CPU µs per call of
// each gateway and of the MCP server during its loops. A gateway process keeps a speed of
// its own for its life (±15 µs at p50 between two processes of one build): compare builds
// over several runs, in both orders. `node bench/mcp-serial.mjs` after a build.
//
// Environment: N (calls per round, 5000), ROUNDS (3); BIN (gateway a, default this build's
// bin/agentedge.js), B_BIN / B_ENV (a second gateway: another build, extra environment
// "K=V K=V"), A_ENV; SPANS=1 (per-call spans inside each gateway, mcp-spans.mjs);
// BARE=1 (bare-proxy.mjs in front of the server too: the floor of any Node proxy);
// PROFILE=1 (gateways run with --cpu-prof, 50 µs sampling, into bench/results/profiles;
// warmup and session set-up included); STRACE=FILE (strace -c of gateway a over N calls).
import { fork, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, request } from 'undici';
import { mcpGatewayConfig } from './mcp-gateway-config.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const N = Number(process.env.N || 5000);
const ROUNDS = Number(process.env.ROUNDS || 3);
const PROFILE = process.env.PROFILE === '1';
const BIN = process.env.BIN || join(ROOT, 'bin/agentedge.js');
const PROFILE_DIR = join(ROOT, 'bench/results/profiles');
const TEXT = 'Hello from the agentedge bench.';

const children = [];
process.on('exit', () => { for (const c of children) c.kill('SIGKILL'); });

function cpuMs(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(f[11]) + Number(f[12])) * 1000) / 100;
}

async function freePort() {
  const s = net.createServer();
  await new Promise((r) => s.listen(0, '127.0.0.1', r));
  const port = s.address().port;
  await new Promise((r) => s.close(r));
  return port;
}

const upstream = fork(join(ROOT, 'bench/mcp-upstream.mjs'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
children.push(upstream);
const up = await new Promise((resolve) => upstream.once('message', resolve));
const upUrl = `http://127.0.0.1:${up.port}${up.path}`;

const dir = mkdtempSync(join(tmpdir(), 'ae-mcp-serial-'));
if (PROFILE) mkdirSync(PROFILE_DIR, { recursive: true });
const prof = (name) => (PROFILE ? ['--cpu-prof', '--cpu-prof-interval=50', `--cpu-prof-dir=${PROFILE_DIR}`, `--cpu-prof-name=gateway-mcp-serial-${name}-${process.pid}.cpuprofile`] : []);
const gwEnv = (spec) => Object.fromEntries((spec ?? '').split(' ').filter(Boolean).map((kv) => kv.split('=')));

/** A gateway in front of the MCP server: its own ports and config, `bin` and extra environment. */
async function startGateway(name, bin, extraEnv) {
  const [port, adminPort] = [await freePort(), await freePort()];
  mkdirSync(join(dir, name));
  const config = join(dir, name, 'gateway.yaml');
  writeFileSync(config, mcpGatewayConfig({ port, adminPort, upstream: upUrl }));
  const hook = process.env.SPANS === '1' ? ['--import', join(ROOT, 'bench/mcp-spans.mjs')] : [];
  const child = spawn(process.execPath, [...hook, ...prof(name), bin, 'serve', '--config', config], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, SPANS_OUT: join(dir, name, 'spans.json'), ...extraEnv } });
  children.push(child);
  for (let i = 0; ; i++) {
    try {
      const r = await request(`http://127.0.0.1:${adminPort}/readyz`);
      await r.body.dump();
      if (r.statusCode === 200) break;
    } catch { /* not yet */ }
    if (i > 100) throw new Error(`${name} not ready`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return { name, child, url: `http://127.0.0.1:${port}/mcp` };
}
const gateways = [await startGateway('a', BIN, gwEnv(process.env.A_ENV))];
if (process.env.B_BIN || process.env.B_ENV) gateways.push(await startGateway('b', process.env.B_BIN || BIN, gwEnv(process.env.B_ENV)));

async function session(url, tool) {
  const { origin, pathname } = new URL(url);
  const client = new Client(origin, { pipelining: 1 });
  const base = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
  const init = await client.request({ path: pathname, method: 'POST', headers: base, body: JSON.stringify({ jsonrpc: '2.0', id: 0, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'b', version: '1' } } }) });
  const sid = init.headers['mcp-session-id'];
  const version = JSON.parse(await init.body.text()).result.protocolVersion;
  const headers = { ...base, 'mcp-session-id': sid, 'mcp-protocol-version': version };
  await (await client.request({ path: pathname, method: 'POST', headers, body: '{"jsonrpc":"2.0","method":"notifications/initialized"}' })).body.dump();
  let id = 1;
  return async () => {
    const { statusCode, body } = await client.request({ path: pathname, method: 'POST', headers, body: `{"jsonrpc":"2.0","id":${id++},"method":"tools/call","params":{"name":"${tool}","arguments":{"text":"${TEXT}"}}}` });
    const text = await body.text();
    if (statusCode !== 200 || !text.includes(TEXT)) throw new Error(`${statusCode} ${text}`);
  };
}

const pct = (a, p) => a[Math.min(a.length - 1, Math.floor(a.length * p))];
async function run(call, n) {
  const t = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const s = performance.now();
    await call();
    t[i] = performance.now() - s;
  }
  return [...t].sort((a, b) => a - b);
}

const targets = [{ name: 'direct', call: await session(upUrl, 'echo'), child: null }];
for (const g of gateways) targets.push({ name: `gateway ${g.name}`, call: await session(g.url, 'b__echo'), child: g.child });
if (process.env.BARE === '1') {
  // The floor of any Node proxy (bare-proxy.mjs: node:http + an undici Pool, no MCP awareness).
  const bare = fork(join(ROOT, 'bench/bare-proxy.mjs'), [], { env: { ...process.env, UPSTREAM: `http://127.0.0.1:${up.port}` }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  children.push(bare);
  const { port: barePort } = await new Promise((resolve) => bare.once('message', resolve));
  targets.push({ name: 'bare', call: await session(`http://127.0.0.1:${barePort}${up.path}`, 'echo'), child: bare });
}
for (let i = 0; i < 1000; i++) for (const t of targets) await t.call();
for (const t of targets) { t.all = []; t.cpu = 0; t.upCpu = 0; }
if (process.env.STRACE) {
  // System calls of the first gateway over N calls (strace -c -f), then exit.
  const st = spawn('strace', ['-c', '-f', '-p', String(gateways[0].child.pid), '-o', process.env.STRACE], { stdio: 'inherit' });
  await new Promise((r) => setTimeout(r, 1000));
  await run(targets[1].call, N);
  st.kill('SIGINT');
  await new Promise((r) => st.once('exit', r));
  process.exit(0);
}
console.log(`load ${loadavg().map((x) => x.toFixed(2)).join(' ')}; ${N} calls × ${ROUNDS} rounds; ${gateways.length === 2 ? `A: ${process.env.A_ENV ?? ''} ${BIN}, B: ${process.env.B_ENV ?? ''} ${process.env.B_BIN ?? BIN}` : ''}`);
for (let r = 0; r < ROUNDS; r++) {
  const line = [];
  for (const t of targets) {
    const g0 = t.child ? cpuMs(t.child.pid) : 0, u0 = cpuMs(upstream.pid);
    const d = await run(t.call, N);
    if (t.child) t.cpu += cpuMs(t.child.pid) - g0;
    t.upCpu += cpuMs(upstream.pid) - u0;
    t.all.push(...d);
    t.p50 = pct(d, 0.5);
    line.push(`${t.name} ${t.p50.toFixed(3)}`);
  }
  console.log(`round ${r + 1}: p50 ${line.join(', ')}; added ${targets.slice(1).map((t) => (t.p50 - targets[0].p50).toFixed(3)).join(', ')} ms`);
}
const d50 = pct(targets[0].all.sort((a, b) => a - b), 0.5);
for (const t of targets) {
  t.all.sort((a, b) => a - b);
  const p = (q) => pct(t.all, q).toFixed(3);
  console.log(`${t.name.padEnd(10)} p50 ${p(0.5)} p90 ${p(0.9)} p99 ${p(0.99)}${t.child ? ` added p50 ${(pct(t.all, 0.5) - d50).toFixed(3)} ms; CPU µs/call ${t.name === 'bare' ? 'proxy' : 'gateway'} ${(t.cpu * 1000 / (N * ROUNDS)).toFixed(0)}` : ''}, server ${(t.upCpu * 1000 / (N * ROUNDS)).toFixed(0)}`);
}
console.log(`load ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
for (const g of gateways) {
  g.child.kill('SIGTERM');
  await new Promise((r) => g.child.once('exit', r));
  if (process.env.SPANS === '1') console.log(`gateway ${g.name} spans µs: ${readFileSync(join(dir, g.name, 'spans.json'), 'utf8')}`);
}
upstream.kill('SIGTERM');
rmSync(dir, { recursive: true, force: true });
process.exit(0);
