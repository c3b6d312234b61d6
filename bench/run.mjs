#!/usr/bin/env node
// `npm run bench`: how much does the gateway cost compared with the least any Node proxy
// can do? Three child processes on 127.0.0.1 ports the OS picks:
//   upstream.mjs     a keep-alive node:http server answering a ~200-byte JSON completion
//   bare-proxy.mjs   node:http + an undici Pool, forwarding and streaming back (the floor)
//   gateway          the built CLI, `agentedge serve`, one listener, one http route,
//                    access log off, metrics on (a second one with the JSON access log
//                    written to /dev/null shows what logging costs)
// autocannon in this process drives each in turn (direct once, then bare and gateway
// alternating, each after a warmup) with the same connections and duration; then a
// concurrency-1 loop measures added latency and an event-stream loop measures
// time-to-first-byte. Ratios are only meaningful within one run on one machine.
//
// Environment: BENCH_DURATION (s per loaded run, default 10), BENCH_WARMUP (s, 3),
// BENCH_ROUNDS (bare/gateway pairs, 3), BENCH_CONNECTIONS (50), BENCH_LATENCY_SECONDS (s per concurrency-1 run, 4),
// BENCH_STREAM_REQUESTS (300), BENCH_QUICK=1 (a ~30 s smoke run), BENCH_ACCESS_LOG=0
// (skip the access-log run), BENCH_PROFILE=1 (write V8 CPU profiles of the gateway and
// the bare proxy to bench/results/profiles; summarise with bench/profile-summary.mjs).
// A/B: BENCH_B_BIN (another build's bin/agentedge.js) and/or BENCH_B_FLAGS (node flags,
// e.g. "--max-semi-space-size=32") add a "gateway B" measured in turn with the others
// (http scenarios only). BENCH_BIN runs another build as "the gateway" everywhere.
//
// LLM scenarios (the llm backend's OpenAI pass-through): llm-upstream.mjs, a fake OpenAI
// server; bare-proxy.mjs in front of it is the floor; a gateway with one llm route (/v1)
// and one openai-compatible model pointing at the fake. Chat JSON: autocannon rounds and a
// concurrency-1 loop as above. Chat SSE: autocannon rounds (streams/s), then a node:http
// keep-alive client measuring time to the first content event (TTFT) and to the end of
// the stream, sequentially. BENCH_ONLY=http|llm|llm-json|llm-sse|mcp|… (comma-separated) picks
// scenario groups; BENCH_LLM_DURATION (s per loaded LLM run; BENCH_DURATION when that is
// set, else 6), BENCH_LLM_LATENCY_SECONDS (s per concurrency-1 run; BENCH_LATENCY_SECONDS
// when set, else 3), BENCH_SSE_CHUNKS (content events per stream, 20), BENCH_TTFT_SECONDS
// (s per TTFT run, 3), BENCH_TTFT_REQUESTS (most streams per TTFT run, 20000),
// BENCH_SSE_GAP_MS (ms between the fake's events; 0: a setImmediate).
//
// MCP scenarios (issue 12; BENCH_ONLY=mcp): mcp-upstream.mjs, the official SDK's (1.x)
// McpServer with one `echo` tool behind its StreamableHTTPServerTransport (stateful
// sessions, JSON responses); a gateway with one route (/mcp) to an mcp backend with one
// server `b` at that URL. There is no bare floor: the comparison is the one MCP clients
// see, through the gateway (tool `b__echo`) vs directly to the same server (`echo`).
// An undici driver here opens BENCH_MCP_SESSIONS (32) sessions (initialize,
// notifications/initialized), each on its own keep-alive connection, then each keeps one
// `tools/call` in flight for BENCH_MCP_DURATION s (BENCH_DURATION when set, else 6);
// direct and gateway alternate for BENCH_ROUNDS rounds (each after a warmup); then one
// session, sequential calls, BENCH_MCP_LATENCY_SECONDS (BENCH_LATENCY_SECONDS when set,
// else 3) per run, direct and gateway alternating twice: added p50/p99.
import { fork, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { Client, request } from 'undici';
import { mcpGatewayConfig } from './mcp-gateway-config.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const RESULTS = join(ROOT, 'bench/results');
const env = (name, fallback) => {
  const v = process.env[name];
  return v === undefined || v === '' ? fallback : Number(v);
};
const QUICK = process.env.BENCH_QUICK === '1';
const DURATION = env('BENCH_DURATION', QUICK ? 2 : 10);
const WARMUP = env('BENCH_WARMUP', QUICK ? 1 : 3);
const CONNECTIONS = env('BENCH_CONNECTIONS', 50);
const ROUNDS = env('BENCH_ROUNDS', QUICK ? 2 : 3);
const LATENCY_SECONDS = env('BENCH_LATENCY_SECONDS', QUICK ? 1 : 4);
const STREAM_REQUESTS = env('BENCH_STREAM_REQUESTS', QUICK ? 50 : 300);
const ACCESS_LOG_RUN = process.env.BENCH_ACCESS_LOG !== '0';
const PROFILE = process.env.BENCH_PROFILE === '1';
const PROFILE_DIR = join(RESULTS, 'profiles');
const B_BIN = process.env.BENCH_B_BIN || null;
const B_FLAGS = (process.env.BENCH_B_FLAGS ?? '').split(' ').filter(Boolean);
const GATEWAY_BIN = process.env.BENCH_BIN || join(ROOT, 'bin/agentedge.js');
const GROUPS = ['http', 'llm-json', 'llm-sse', 'llm-chain', 'llm-chain-redis', 'llm-chain-redis-strict', 'mcp'];
const ONLY = new Set((process.env.BENCH_ONLY || GROUPS.join(',')).split(',').map((g) => g.trim()).filter(Boolean)
  .flatMap((g) => (g === 'llm' ? ['llm-json', 'llm-sse'] : g === 'all' ? GROUPS : [g])));
const REDIS_URL = process.env.BENCH_REDIS_URL || 'redis://127.0.0.1:6379';
const POSTGRES_URL = process.env.BENCH_POSTGRES_URL || 'postgres://postgres@127.0.0.1:5432/test';
for (const g of ONLY) if (!GROUPS.includes(g)) throw new Error(`BENCH_ONLY: unknown group "${g}" (one of ${GROUPS.join(', ')}, llm, all)`);
const LLM_DURATION = env('BENCH_LLM_DURATION', env('BENCH_DURATION', QUICK ? 2 : 6));
const LLM_LATENCY_SECONDS = env('BENCH_LLM_LATENCY_SECONDS', env('BENCH_LATENCY_SECONDS', QUICK ? 1 : 3));
const SSE_CHUNKS = env('BENCH_SSE_CHUNKS', 20);
const SSE_GAP_MS = env('BENCH_SSE_GAP_MS', 0);
const TTFT_SECONDS = env('BENCH_TTFT_SECONDS', QUICK ? 1 : 3);
const TTFT_REQUESTS = env('BENCH_TTFT_REQUESTS', 20_000);
const MCP_SESSIONS = env('BENCH_MCP_SESSIONS', 32);
const MCP_DURATION = env('BENCH_MCP_DURATION', env('BENCH_DURATION', QUICK ? 2 : 6));
const MCP_LATENCY_SECONDS = env('BENCH_MCP_LATENCY_SECONDS', env('BENCH_LATENCY_SECONDS', QUICK ? 1 : 3));

const PATH = '/v1/chat/completions';
const REQUEST_BODY = JSON.stringify({ model: 'bench-model', messages: [{ role: 'user', content: 'Say hello to the benchmark, briefly.' }], max_tokens: 16 });
const REQUEST_HEADERS = { 'content-type': 'application/json' };
const HTTP_REQUEST = { path: PATH, body: REQUEST_BODY, headers: REQUEST_HEADERS };

// The LLM scenarios: what an OpenAI SDK sends (its key is the gateway's concern; the bare
// proxy passes it on). The stream asks for the usage chunk, as usage-tracking clients do,
// so the upstream sends the same events whichever proxy is in front of it.
const LLM_MESSAGES = [
  { role: 'system', content: 'You are a helpful assistant. Answer briefly.' },
  { role: 'user', content: 'Say hello to the agentedge benchmark in one short sentence.' },
];
const LLM_HEADERS = { 'content-type': 'application/json', authorization: 'Bearer sk-bench-client-key', 'user-agent': 'OpenAI/JS 6.0.0', accept: 'application/json' };
const LLM_JSON = {
  path: PATH,
  headers: LLM_HEADERS,
  body: JSON.stringify({ model: 'bench-model', messages: LLM_MESSAGES, max_tokens: 64, temperature: 0.2 }),
};
const LLM_SSE = {
  path: PATH,
  headers: { ...LLM_HEADERS, accept: 'text/event-stream' },
  body: JSON.stringify({ model: 'bench-model', messages: LLM_MESSAGES, max_tokens: 64, temperature: 0.2, stream: true, stream_options: { include_usage: true } }),
};

// ---------------------------------------------------------------------------------------
// Children: started here, always killed on the way out.

const children = new Set();
process.on('exit', () => { for (const c of children) c.kill('SIGKILL'); });
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => process.exit(130));

function track(child, name) {
  children.add(child);
  child.once('exit', () => children.delete(child));
  child.benchName = name;
  return child;
}

const profileArgs = (name) => (PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`, `--cpu-prof-name=${name}-${process.pid}.cpuprofile`] : []);

/** Forks a bench child that reports { port } over IPC once it listens. */
function forkChild(file, name, childEnv = {}, profile = false) {
  const child = track(fork(join(ROOT, 'bench', file), [], {
    env: { ...process.env, ...childEnv },
    execArgv: profile ? profileArgs(name) : [],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  }), name);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} did not start within 10 s`)), 10_000);
    child.once('message', (m) => { clearTimeout(timer); resolve({ child, ...m, url: `http://127.0.0.1:${m.port}` }); });
    child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`${name} exited with ${code} before listening`)); });
  });
}

/** Ports the OS picks, released just before the gateway binds them. */
async function freePorts(n) {
  const servers = await Promise.all(Array.from({ length: n }, () => new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => resolve(s));
  })));
  const ports = servers.map((s) => s.address().port);
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return ports;
}

function gatewayConfig({ port, adminPort, upstream, accessLog }) {
  return `# Written by bench/run.mjs for one run.
gateway:
  admin:
    host: 127.0.0.1
    port: ${adminPort}
  accessLog:
    format: ${accessLog}
  reload:
    watch: false
listeners:
  - name: bench
    host: 127.0.0.1
    port: ${port}
    routes:
      - name: all
        match: { path: / }
        backend: upstream
backends:
  upstream:
    http:
      url: ${upstream}
`;
}

/** One listener, one llm route at /v1, one openai-compatible model on the fake OpenAI upstream. */
function llmGatewayConfig({ port, adminPort, upstream }) {
  return `# Written by bench/run.mjs for one run.
gateway:
  admin:
    host: 127.0.0.1
    port: ${adminPort}
  accessLog:
    format: off
  reload:
    watch: false
listeners:
  - name: bench
    host: 127.0.0.1
    port: ${port}
    routes:
      - name: llm
        match: { path: /v1 }
        backend: models
backends:
  models:
    llm:
      models:
        - name: bench-model
          provider: openai-compatible
          baseUrl: ${upstream}/v1
          apiKey: sk-bench-gateway-key
`;
}

/** The client key of the full-chain scenarios (the gateway checks it; bare passes it on). */
const CHAIN_KEY = 'sk-bench-client-key';

/**
 * The full chain of DESIGN §7 on the llm route: an API key (from config), CEL authorize on
 * the request and on the model, a request and a token rate limit, a USD budget (the model
 * has a price, so every call reserves and settles), metrics; state in SQLite or, with
 * `redis`, in Redis + Postgres. Limits are far above what a run reaches: they are checked
 * and counted on every request, never hit.
 */
function llmChainConfig(state) {
  return (opts) => llmGatewayConfig(opts)
    .replace('        backend: models\n', '        policies: [keys, gold-only, per-key, team-budget]\n        backend: models\n')
    .replace('          apiKey: sk-bench-gateway-key\n', '          apiKey: sk-bench-gateway-key\n          price: { input: 0.15, output: 0.6 }\n')
    .replace('  reload:\n', `${state}  reload:\n`) + `policies:
  keys:
    apiKey:
      keys:
        - { name: bench, key: ${CHAIN_KEY}, metadata: { team: bench, tier: gold } }
  gold-only:
    authorize:
      allow: ['apiKey.metadata.tier == "gold"']
      deny: ['llm.model.startsWith("forbidden-")']
  per-key:
    rateLimit: { key: apiKey.name, requests: 100000000/minute, tokens: 100000000000/minute }
  team-budget:
    budget: { key: apiKey.metadata.team, usd: 1000000000, period: month }
`;
}

/** `agentedge serve` from dist/, stdout (the log) to /dev/null; resolves when /readyz says so. */
async function startGateway(name, upstream, accessLog, dir, profile, bin = GATEWAY_BIN, flags = [], config = gatewayConfig) {
  const [port, adminPort] = await freePorts(2);
  const configPath = join(dir, `${name}.yaml`);
  writeFileSync(configPath, config({ port, adminPort, upstream, accessLog }));
  const child = track(spawn(process.execPath, [...flags, ...(profile ? profileArgs(name) : []), bin, 'serve', '--config', configPath], {
    cwd: ROOT,
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, AGENTEDGE_LOG_LEVEL: 'info' },
  }), name);
  let exited = null;
  child.once('exit', (code) => { exited = code ?? 'signal'; });
  for (let attempt = 0; attempt < 100; attempt++) {
    if (exited !== null) throw new Error(`${name} exited with ${exited} before it was ready (is dist/ built? npm run build)`);
    try {
      const res = await request(`http://127.0.0.1:${adminPort}/readyz`);
      await res.body.dump();
      if (res.statusCode === 200) return { child, port, adminPort, url: `http://127.0.0.1:${port}` };
    } catch { /* not listening yet */ }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${name} was not ready within 10 s`);
}

/** SIGTERM, then SIGKILL if it has not exited in 5 s. */
function stop(child) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => { child.kill('SIGKILL'); }, 5_000);
    child.once('exit', () => { clearTimeout(timer); resolve(); });
    child.kill('SIGTERM');
  });
}

// ---------------------------------------------------------------------------------------
// Measurements.

/** CPU time (user + system, ms) a process has used so far; null where /proc is missing. */
function cpuMs(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // utime + stime, in USER_HZ (100)
  } catch {
    return null;
  }
}

async function loaded(name, target, seconds, record = true, req = HTTP_REQUEST) {
  const before = target.child ? cpuMs(target.child.pid) : null;
  const r = await autocannon({
    url: target.url + req.path,
    method: 'POST',
    headers: req.headers,
    body: req.body,
    connections: CONNECTIONS,
    pipelining: 1,
    duration: seconds,
  });
  const after = target.child ? cpuMs(target.child.pid) : null;
  served(target, r.requests.total);
  const bad = r.non2xx + r.errors + r.timeouts;
  if (bad > 0) console.warn(`  ! ${name}: ${r.non2xx} non-2xx, ${r.errors} errors, ${r.timeouts} timeouts`);
  const row = {
    scenario: name,
    connections: CONNECTIONS,
    rps: r.requests.total / r.duration,
    p50: r.latency.p50,
    p99: r.latency.p99,
    requests: r.requests.total,
    bad,
    cpuUsPerReq: before !== null && after !== null && r.requests.total > 0 ? ((after - before) * 1000) / r.requests.total : null,
  };
  if (record) console.log(`  ${name.padEnd(44)} ${fmt(row.rps, 0).padStart(7)} req/s  p50 ${row.p50} ms  p99 ${row.p99} ms`);
  return row;
}

/** Requests each proxy served in this run (warmups included): divides a --cpu-prof profile into µs/request. */
const SERVED = {};
function served(target, n) {
  const name = target.child?.benchName ?? 'direct';
  SERVED[name] = (SERVED[name] ?? 0) + n;
}

const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
const sortNum = (a) => [...a].sort((x, y) => x - y);

/** Sequential requests on one keep-alive connection for `seconds`; latency of each in ms. */
async function serialLatency(target, seconds, req = HTTP_REQUEST) {
  const client = new Client(target.url, { pipelining: 1 });
  const one = async () => {
    const t0 = performance.now();
    const { statusCode, body } = await client.request({ path: req.path, method: 'POST', headers: req.headers, body: req.body });
    await body.text();
    if (statusCode !== 200) throw new Error(`status ${statusCode} from ${target.url}`);
    return performance.now() - t0;
  };
  try {
    for (let i = 0; i < 200; i++) await one(); // warm the connection and the JIT
    const samples = [];
    const deadline = performance.now() + seconds * 1000;
    for (let i = 0; i < 1_000_000 && performance.now() < deadline; i++) samples.push(await one());
    served(target, 200 + samples.length);
    return samples;
  } finally {
    await client.close();
  }
}

/** Time from sending a request to the first body byte of an event stream, in ms. */
async function streamTtfb(target, n) {
  const client = new Client(target.url, { pipelining: 1 });
  try {
    const samples = [];
    for (let i = 0; i < n + 20; i++) {
      const t0 = performance.now();
      const { statusCode, headers, body } = await client.request({ path: '/sse', method: 'GET' });
      let first = null;
      let text = '';
      for await (const chunk of body) {
        if (first === null) first = performance.now() - t0;
        text += chunk;
      }
      if (statusCode !== 200 || !String(headers['content-type']).startsWith('text/event-stream') || !text.endsWith('data: [DONE]\n\n')) {
        throw new Error(`bad event stream from ${target.url}: ${statusCode} ${JSON.stringify(text.slice(0, 80))}`);
      }
      if (i >= 20) samples.push(first); // the first 20 warm up
    }
    served(target, n + 20);
    return samples;
  } finally {
    await client.close();
  }
}

/**
 * Sequential chat streams on one keep-alive node:http connection, for `seconds` (at most
 * `max` streams, after 200 warmup streams, the first 20 of which are checked in full).
 * Per stream, from just before the request is written: ttfb, the first body byte (headers
 * and role chunk); ttft, the first complete event with non-empty delta content; total, the
 * end of the stream. All in ms.
 */
async function chatStreamTimes(target, seconds, max) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const { hostname, port } = new URL(target.url);
  const headers = { ...LLM_SSE.headers, 'content-length': String(Buffer.byteLength(LLM_SSE.body)) };
  const CONTENT = /"delta":\{"content":"[^"]/;
  const one = (check) => new Promise((resolve, reject) => {
    const t0 = performance.now();
    let ttfb = null;
    let ttft = null;
    let text = '';
    let scan = 0; // where the search for the first content event goes on
    const req = http.request({ host: hostname, port, path: LLM_SSE.path, method: 'POST', agent, headers }, (res) => {
      res.setEncoding('utf8');
      res.on('data', (s) => {
        const now = performance.now();
        if (ttfb === null) ttfb = now - t0;
        text += s;
        if (ttft === null) {
          const m = CONTENT.exec(scan === 0 ? text : text.slice(scan));
          if (m === null) scan = Math.max(0, text.length - 32);
          else if (text.indexOf('\n\n', scan + m.index) !== -1) ttft = now - t0;
          else scan += m.index;
        }
      });
      res.once('end', () => {
        const total = performance.now() - t0;
        const ok = res.statusCode === 200 && String(res.headers['content-type']).startsWith('text/event-stream') && text.endsWith('data: [DONE]\n\n') && ttft !== null;
        if (!ok) return reject(new Error(`bad chat stream from ${target.url}: ${res.statusCode} ${JSON.stringify(text.slice(0, 120))}`));
        if (check) {
          const contentEvents = text.match(/"delta":\{"content":"[^"]/g)?.length ?? 0;
          if (contentEvents !== SSE_CHUNKS || !text.includes('"usage":{')) {
            return reject(new Error(`chat stream from ${target.url}: ${contentEvents} content events (expected ${SSE_CHUNKS}), usage ${text.includes('"usage":{') ? 'present' : 'missing'}`));
          }
        }
        resolve({ ttfb, ttft, total });
      });
      res.once('error', reject);
    });
    req.once('error', reject);
    req.end(LLM_SSE.body);
  });
  try {
    for (let i = 0; i < 200; i++) await one(i < 20);
    const samples = { ttfb: [], ttft: [], total: [] };
    const deadline = performance.now() + seconds * 1000;
    for (let i = 0; i < max && performance.now() < deadline; i++) {
      const s = await one(false);
      samples.ttfb.push(s.ttfb);
      samples.ttft.push(s.ttft);
      samples.total.push(s.total);
    }
    served(target, 200 + samples.ttft.length);
    return samples;
  } finally {
    agent.destroy();
  }
}

const fmt = (n, digits = 2) => (n === null || n === undefined || Number.isNaN(n) ? '-' : n.toFixed(digits));

// ---------------------------------------------------------------------------------------

/** The http backend against the bare proxy (the original scenarios). */
async function httpScenarios(dir) {
  console.log(`POST ${PATH} (${REQUEST_BODY.length}-byte body), ${CONNECTIONS} connections, ${DURATION} s per run after a ${WARMUP} s warmup, ${ROUNDS} bare/gateway rounds\n`);
  const upstream = await forkChild('upstream.mjs', 'upstream');
  const direct = { url: upstream.url, child: null };
  const bare = await forkChild('bare-proxy.mjs', 'bare', { UPSTREAM: upstream.url }, PROFILE);
  const gateway = await startGateway('gateway', upstream.url, 'off', dir, PROFILE);
  const gatewayLog = ACCESS_LOG_RUN ? await startGateway('gateway-log', upstream.url, 'json', dir, false) : null;
  const gatewayB = B_BIN || B_FLAGS.length ? await startGateway('gateway-b', upstream.url, 'off', dir, PROFILE, B_BIN ?? undefined, B_FLAGS) : null;
  if (gatewayB) console.log(`gateway B: ${B_BIN ?? 'this build'}${B_FLAGS.length ? ` with ${B_FLAGS.join(' ')}` : ''}`);
  console.log(`upstream ${upstream.url} (${upstream.bytes}-byte answer), bare ${bare.url}, gateway ${gateway.url}${gatewayLog ? `, gateway with access log ${gatewayLog.url}` : ''}\n`);

  console.log('warming up');
  for (const [name, t] of [['direct', direct], ['bare', bare], ['gateway', gateway], ['gateway-b', gatewayB], ['gateway-log', gatewayLog]]) {
    if (t) await loaded(name, t, WARMUP, false);
  }

  console.log(`throughput (${CONNECTIONS} connections)`);
  const rows = [];
  rows.push(await loaded('direct to upstream', direct, DURATION));
  for (let round = 1; round <= ROUNDS; round++) {
    rows.push(await loaded(`bare undici pass-through #${round}`, bare, DURATION));
    rows.push(await loaded(`gateway #${round}`, gateway, DURATION));
    if (gatewayB) rows.push(await loaded(`gateway B #${round}`, gatewayB, DURATION));
  }
  if (gatewayLog) rows.push(await loaded('gateway, JSON access log → /dev/null', gatewayLog, DURATION));

  console.log('\nconcurrency 1 (one keep-alive connection, sequential requests)');
  const serial = { bare: [], gateway: [], ...(gatewayB ? { gatewayB: [] } : {}), direct: [] };
  for (let round = 0; round < 2; round++) {
    serial.bare.push(...await serialLatency(bare, LATENCY_SECONDS));
    serial.gateway.push(...await serialLatency(gateway, LATENCY_SECONDS));
    if (gatewayB) serial.gatewayB.push(...await serialLatency(gatewayB, LATENCY_SECONDS));
  }
  serial.direct.push(...await serialLatency(direct, LATENCY_SECONDS));
  const lat = Object.fromEntries(Object.entries(serial).map(([k, v]) => {
    const s = sortNum(v);
    return [k, { n: s.length, p50: percentile(s, 50), p99: percentile(s, 99) }];
  }));
  for (const [k, v] of Object.entries(lat)) console.log(`  ${k.padEnd(10)} n=${v.n}  p50 ${fmt(v.p50, 3)} ms  p99 ${fmt(v.p99, 3)} ms`);

  console.log(`\nevent stream: time to first byte (${STREAM_REQUESTS} sequential requests each)`);
  const ttfb = {};
  for (const [k, t] of [['bare', bare], ['gateway', gateway], ['gatewayB', gatewayB], ['direct', direct]]) {
    if (!t) continue;
    const s = sortNum(await streamTtfb(t, STREAM_REQUESTS));
    ttfb[k] = { n: s.length, p50: percentile(s, 50), p99: percentile(s, 99) };
    console.log(`  ${k.padEnd(10)} p50 ${fmt(ttfb[k].p50, 3)} ms  p99 ${fmt(ttfb[k].p99, 3)} ms`);
  }

  const rps = (prefix) => rows.filter((r) => r.scenario.startsWith(prefix)).map((r) => r.rps);
  const cpu = (prefix) => rows.filter((r) => r.scenario.startsWith(prefix)).map((r) => r.cpuUsPerReq);
  const bareRps = rps('bare undici');
  const gwRps = rps('gateway #');
  const ratio = mean(gwRps) / mean(bareRps);
  const summary = {
    gatewayOverBare: ratio,
    gatewayB: gatewayB ? { bin: B_BIN ?? 'this build', flags: B_FLAGS } : null,
    gatewayOverBarePerPair: gwRps.map((g, i) => g / bareRps[i]),
    gatewayOverDirect: mean(gwRps) / rows[0].rps,
    /** CPU per request of bare ÷ gateway: the throughput ratio if CPU were the only limit. */
    cpuRatio: cpu('bare undici').includes(null) ? null : mean(cpu('bare undici')) / mean(cpu('gateway #')),
    bareOverDirect: mean(bareRps) / rows[0].rps,
    addedP50Ms: lat.gateway.p50 - lat.bare.p50,
    addedTtfbP50Ms: ttfb.gateway.p50 - ttfb.bare.p50,
    accessLogCost: gatewayLog ? 1 - rows.at(-1).rps / mean(gwRps) : null,
    gatewayBOverBare: gatewayB ? mean(rps('gateway B #')) / mean(bareRps) : null,
  };

  console.log('\n| scenario | req/s | p50 ms | p99 ms | proxy CPU µs/req |');
  console.log('|---|---:|---:|---:|---:|');
  for (const r of rows) console.log(`| ${r.scenario} | ${fmt(r.rps, 0)} | ${r.p50} | ${r.p99} | ${fmt(r.cpuUsPerReq, 0)} |`);
  console.log(`
gateway / bare     ${fmt(summary.gatewayOverBare, 3)}  (per pair: ${summary.gatewayOverBarePerPair.map((x) => fmt(x, 3)).join(', ')}; target ≥ 0.85 → ${summary.gatewayOverBare >= 0.85 ? 'met' : 'NOT met'})
CPU µs/req         bare ${fmt(mean(cpu('bare undici')), 0)}, gateway ${fmt(mean(cpu('gateway #')), 0)} → bare / gateway ${fmt(summary.cpuRatio, 3)}
gateway / direct   ${fmt(summary.gatewayOverDirect, 3)}   bare / direct ${fmt(summary.bareOverDirect, 3)}
concurrency 1 p50  bare ${fmt(lat.bare.p50, 3)} ms, gateway ${fmt(lat.gateway.p50, 3)} ms → added ${fmt(summary.addedP50Ms, 3)} ms (target ≤ 0.3 ms → ${summary.addedP50Ms <= 0.3 ? 'met' : 'NOT met'})
stream TTFB p50    bare ${fmt(ttfb.bare.p50, 3)} ms, gateway ${fmt(ttfb.gateway.p50, 3)} ms → added ${fmt(summary.addedTtfbP50Ms, 3)} ms (target ≤ 1 ms → ${summary.addedTtfbP50Ms <= 1 ? 'met' : 'NOT met'})${summary.accessLogCost === null ? '' : `
JSON access log    costs ${fmt(summary.accessLogCost * 100, 1)}% of gateway throughput`}${summary.gatewayBOverBare === null ? '' : `
gateway B / bare   ${fmt(summary.gatewayBOverBare, 3)}`}`);
  await Promise.all([upstream.child, bare.child, gateway.child, gatewayLog?.child, gatewayB?.child].filter(Boolean).map(stop));
  return { rows, latency: lat, ttfb, summary };
}

const mean = (a) => a.reduce((x, y) => x + y, 0) / a.length;
const stats = (v) => { const s = sortNum(v); return { n: s.length, p50: percentile(s, 50), p99: percentile(s, 99) }; };

/** Loaded rounds (direct once, then bare and gateway alternating) of one request shape. */
async function llmRounds(label, unit, req, targets) {
  console.log(`${label}: throughput (${CONNECTIONS} connections, ${LLM_DURATION} s per run)`);
  const rows = [];
  rows.push(await loaded(`${label}, direct to fake upstream`, targets.direct, LLM_DURATION, true, req));
  for (let round = 1; round <= ROUNDS; round++) {
    rows.push(await loaded(`${label}, bare pass-through #${round}`, targets.bare, LLM_DURATION, true, req));
    rows.push(await loaded(`${label}, gateway #${round}`, targets.gateway, LLM_DURATION, true, req));
  }
  const pick = (what, key) => rows.filter((r) => r.scenario.includes(what)).map((r) => r[key]);
  const bareRps = pick(', bare ', 'rps');
  const gwRps = pick(', gateway #', 'rps');
  const cpuBare = pick(', bare ', 'cpuUsPerReq');
  const cpuGw = pick(', gateway #', 'cpuUsPerReq');
  const summary = {
    gatewayOverBare: mean(gwRps) / mean(bareRps),
    gatewayOverBarePerPair: gwRps.map((g, i) => g / bareRps[i]),
    gatewayOverDirect: mean(gwRps) / rows[0].rps,
    bareOverDirect: mean(bareRps) / rows[0].rps,
    cpuUsBare: cpuBare.includes(null) ? null : mean(cpuBare),
    cpuUsGateway: cpuGw.includes(null) ? null : mean(cpuGw),
  };
  summary.cpuRatio = summary.cpuUsBare === null || summary.cpuUsGateway === null ? null : summary.cpuUsBare / summary.cpuUsGateway;
  console.log(`  gateway / bare ${fmt(summary.gatewayOverBare, 3)} (per pair ${summary.gatewayOverBarePerPair.map((x) => fmt(x, 3)).join(', ')}); CPU µs/${unit} bare ${fmt(summary.cpuUsBare, 0)}, gateway ${fmt(summary.cpuUsGateway, 0)}\n`);
  return { rows, summary };
}

/** The llm backend's OpenAI pass-through against the bare proxy in front of the same fake upstream. */
async function llmScenarios(dir) {
  const result = {};
  const upstream = await forkChild('llm-upstream.mjs', 'llm-upstream', { BENCH_SSE_CHUNKS: String(SSE_CHUNKS), BENCH_SSE_GAP_MS: String(SSE_GAP_MS) });
  const direct = { url: upstream.url, child: null };
  const bare = await forkChild('bare-proxy.mjs', 'bare-llm', { UPSTREAM: upstream.url }, PROFILE);
  const gateway = await startGateway('gateway-llm', upstream.url, 'off', dir, PROFILE, GATEWAY_BIN, [], llmGatewayConfig);
  const targets = { direct, bare, gateway };
  console.log(`\n=== LLM: POST ${PATH}, model bench-model (openai-compatible) ===`);
  console.log(`fake OpenAI upstream ${upstream.url} (JSON answer ${upstream.bytes} bytes; streams: role event, ${upstream.chunks} content events, finish, usage, [DONE], ${SSE_GAP_MS > 0 ? `${SSE_GAP_MS} ms` : 'a setImmediate'} apart), bare ${bare.url}, gateway ${gateway.url}`);
  console.log(`request bodies: JSON ${LLM_JSON.body.length} bytes, stream ${LLM_SSE.body.length} bytes\n`);

  console.log('warming up'); // bare and gateway; the upstream warms up with them
  for (const req of [ONLY.has('llm-json') ? LLM_JSON : null, ONLY.has('llm-sse') ? LLM_SSE : null].filter(Boolean)) {
    for (const t of [bare, gateway]) await loaded('warmup', t, WARMUP, false, req);
  }

  if (ONLY.has('llm-json')) {
    const json = await llmRounds('chat JSON', 'req', LLM_JSON, targets);
    console.log(`chat JSON, concurrency 1 (one keep-alive connection, sequential requests, ${LLM_LATENCY_SECONDS} s per run)`);
    const serial = { bare: [], gateway: [], direct: [] };
    for (let round = 0; round < 2; round++) {
      serial.bare.push(...await serialLatency(bare, LLM_LATENCY_SECONDS, LLM_JSON));
      serial.gateway.push(...await serialLatency(gateway, LLM_LATENCY_SECONDS, LLM_JSON));
    }
    serial.direct.push(...await serialLatency(direct, LLM_LATENCY_SECONDS, LLM_JSON));
    json.latency = Object.fromEntries(Object.entries(serial).map(([k, v]) => [k, stats(v)]));
    for (const [k, v] of Object.entries(json.latency)) console.log(`  ${k.padEnd(10)} n=${v.n}  p50 ${fmt(v.p50, 3)} ms  p99 ${fmt(v.p99, 3)} ms`);
    json.summary.addedP50Ms = json.latency.gateway.p50 - json.latency.bare.p50;
    json.summary.addedP99Ms = json.latency.gateway.p99 - json.latency.bare.p99;
    console.log('');
    result.json = json;
  }

  if (ONLY.has('llm-sse')) {
    const sse = await llmRounds('chat SSE', 'stream', LLM_SSE, targets);
    console.log(`chat SSE, time to first token (sequential streams on one keep-alive connection, ${TTFT_SECONDS} s per run)`);
    const runs = { bare: [], gateway: [], direct: [] };
    for (let round = 0; round < 2; round++) {
      runs.bare.push(await chatStreamTimes(bare, TTFT_SECONDS, TTFT_REQUESTS));
      runs.gateway.push(await chatStreamTimes(gateway, TTFT_SECONDS, TTFT_REQUESTS));
    }
    runs.direct.push(await chatStreamTimes(direct, TTFT_SECONDS, TTFT_REQUESTS));
    sse.streams = Object.fromEntries(Object.entries(runs).map(([k, list]) => [k, {
      ttfb: stats(list.flatMap((r) => r.ttfb)),
      ttft: stats(list.flatMap((r) => r.ttft)),
      total: stats(list.flatMap((r) => r.total)),
    }]));
    for (const [k, v] of Object.entries(sse.streams)) {
      console.log(`  ${k.padEnd(10)} n=${v.ttft.n}  TTFB p50 ${fmt(v.ttfb.p50, 3)}  TTFT p50 ${fmt(v.ttft.p50, 3)} p99 ${fmt(v.ttft.p99, 3)}  whole stream p50 ${fmt(v.total.p50, 3)} p99 ${fmt(v.total.p99, 3)} ms`);
    }
    const g = sse.streams.gateway;
    const b = sse.streams.bare;
    Object.assign(sse.summary, {
      addedTtftP50Ms: g.ttft.p50 - b.ttft.p50,
      addedTtftP99Ms: g.ttft.p99 - b.ttft.p99,
      addedTtfbP50Ms: g.ttfb.p50 - b.ttfb.p50,
      addedStreamP50Ms: g.total.p50 - b.total.p50,
      addedStreamP99Ms: g.total.p99 - b.total.p99,
    });
    console.log('');
    result.sse = sse;
  }

  const verdict = (ok) => (ok ? 'met' : 'NOT met');
  console.log('| LLM scenario | req/s or streams/s | p50 ms | p99 ms | proxy CPU µs/req |');
  console.log('|---|---:|---:|---:|---:|');
  for (const part of [result.json, result.sse].filter(Boolean)) {
    for (const r of part.rows) console.log(`| ${r.scenario} | ${fmt(r.rps, 0)} | ${r.p50} | ${r.p99} | ${fmt(r.cpuUsPerReq, 0)} |`);
  }
  console.log('');
  if (result.json) {
    const j = result.json.summary;
    console.log(`chat JSON  gateway / bare ${fmt(j.gatewayOverBare, 3)} (per pair ${j.gatewayOverBarePerPair.map((x) => fmt(x, 3)).join(', ')}; target ≥ 0.85 → ${verdict(j.gatewayOverBare >= 0.85)}); CPU µs/req bare ${fmt(j.cpuUsBare, 0)}, gateway ${fmt(j.cpuUsGateway, 0)}`);
    console.log(`chat JSON  concurrency 1 p50 bare ${fmt(result.json.latency.bare.p50, 3)} ms, gateway ${fmt(result.json.latency.gateway.p50, 3)} ms → added ${fmt(j.addedP50Ms, 3)} ms (target ≤ 0.3 ms → ${verdict(j.addedP50Ms <= 0.3)})`);
  }
  if (result.sse) {
    const x = result.sse.summary;
    console.log(`chat SSE   gateway / bare ${fmt(x.gatewayOverBare, 3)} streams/s (per pair ${x.gatewayOverBarePerPair.map((v) => fmt(v, 3)).join(', ')}); CPU µs/stream bare ${fmt(x.cpuUsBare, 0)}, gateway ${fmt(x.cpuUsGateway, 0)}`);
    console.log(`chat SSE   TTFT p50 bare ${fmt(result.sse.streams.bare.ttft.p50, 3)} ms, gateway ${fmt(result.sse.streams.gateway.ttft.p50, 3)} ms → added ${fmt(x.addedTtftP50Ms, 3)} ms, p99 added ${fmt(x.addedTtftP99Ms, 3)} ms (target ≤ 1 ms → ${verdict(x.addedTtftP50Ms <= 1)}); whole stream added p50 ${fmt(x.addedStreamP50Ms, 3)} ms`);
  }
  await Promise.all([upstream.child, bare.child, gateway.child].map(stop));
  return result;
}

/**
 * The full chain (llmChainConfig) against the bare proxy: throughput and added p50 of chat
 * JSON, as DESIGN §7 states its target. `store`: 'sqlite'; 'redis' (Redis + Postgres, calls
 * admitted from leases); 'redis-strict' (the same with `leases: false`: every call's limit
 * and budget checks make a round trip to Redis before the call).
 */
async function llmChainScenarios(dir, store) {
  const tag = { sqlite: 'chain', redis: 'chain-redis', 'redis-strict': 'chain-redis-strict' }[store];
  const prefix = `bench${process.pid}${Date.now().toString(36)}:`;
  const state = store === 'sqlite'
    ? '  state: { sqlite: ./bench-state.db }\n'
    : `  state: { redis: "${REDIS_URL}", postgres: "${POSTGRES_URL}", prefix: "${prefix}"${store === 'redis-strict' ? ', leases: false' : ''} }\n`;
  const upstream = await forkChild('llm-upstream.mjs', `llm-upstream-${tag}`, { BENCH_SSE_CHUNKS: String(SSE_CHUNKS) });
  const direct = { url: upstream.url, child: null };
  const bare = await forkChild('bare-proxy.mjs', `bare-llm-${tag}`, { UPSTREAM: upstream.url }, PROFILE);
  const gateway = await startGateway(`gateway-llm-${tag}`, upstream.url, 'off', dir, PROFILE, GATEWAY_BIN, [], llmChainConfig(state));
  const targets = { direct, bare, gateway };
  const label = { sqlite: 'full chain, SQLite', redis: 'full chain, Redis + Postgres', 'redis-strict': 'full chain, Redis + Postgres, leases off' }[store];
  console.log(`\n=== LLM ${label}: API key + CEL authorize (request and model) + rate limit (requests, tokens) + budget + metrics ===`);
  const req = { ...LLM_JSON, headers: { ...LLM_JSON.headers, authorization: `Bearer ${CHAIN_KEY}` } };
  // One request first: a refusal (bad key, policy) would otherwise be measured as throughput.
  const probe = await fetch(`${gateway.url}${PATH}`, { method: 'POST', headers: req.headers, body: req.body });
  if (probe.status !== 200) throw new Error(`${label}: the gateway answered ${probe.status}: ${await probe.text()}`);
  console.log('warming up');
  for (const t of [bare, gateway]) await loaded('warmup', t, WARMUP, false, req);
  const part = await llmRounds(`chat JSON, ${label}`, 'req', req, targets);
  const serial = { bare: [], gateway: [] };
  for (let round = 0; round < 2; round++) {
    serial.bare.push(...await serialLatency(bare, LLM_LATENCY_SECONDS, req));
    serial.gateway.push(...await serialLatency(gateway, LLM_LATENCY_SECONDS, req));
  }
  part.latency = Object.fromEntries(Object.entries(serial).map(([k, v]) => [k, stats(v)]));
  part.summary.addedP50Ms = part.latency.gateway.p50 - part.latency.bare.p50;
  const verdict = (ok) => (ok ? 'met' : 'NOT met');
  console.log('| LLM scenario | req/s | p50 ms | p99 ms | proxy CPU µs/req |');
  console.log('|---|---:|---:|---:|---:|');
  for (const r of part.rows) console.log(`| ${r.scenario} | ${fmt(r.rps, 0)} | ${r.p50} | ${r.p99} | ${fmt(r.cpuUsPerReq, 0)} |`);
  const j = part.summary;
  console.log(`\n${label}  gateway / bare ${fmt(j.gatewayOverBare, 3)} (per pair ${j.gatewayOverBarePerPair.map((x) => fmt(x, 3)).join(', ')}; target ≥ 0.85 → ${verdict(j.gatewayOverBare >= 0.85)}); CPU µs/req bare ${fmt(j.cpuUsBare, 0)}, gateway ${fmt(j.cpuUsGateway, 0)}`);
  console.log(`${label}  concurrency 1 p50 bare ${fmt(part.latency.bare.p50, 3)} ms, gateway ${fmt(part.latency.gateway.p50, 3)} ms → added ${fmt(j.addedP50Ms, 3)} ms (target ≤ 0.3 ms → ${verdict(j.addedP50Ms <= 0.3)})`);
  await Promise.all([upstream.child, bare.child, gateway.child].map(stop));
  return part;
}

const MCP_ACCEPT = 'application/json, text/event-stream';
const MCP_TEXT = 'Hello from the agentedge bench.';

/**
 * An MCP client session on its own keep-alive undici Client: initialize (the session id
 * from Mcp-Session-Id, the negotiated revision), notifications/initialized; then call()
 * sends one tools/call of `tool` and resolves when its JSON answer is read.
 */
async function mcpSession(url, tool) {
  const { origin, pathname } = new URL(url);
  const client = new Client(origin, { pipelining: 1 });
  const post = async (headers, message) => {
    const res = await client.request({ path: pathname, method: 'POST', headers: { 'content-type': 'application/json', accept: MCP_ACCEPT, ...headers }, body: JSON.stringify(message) });
    return { status: res.statusCode, headers: res.headers, text: await res.body.text() };
  };
  const init = await post({}, {
    jsonrpc: '2.0', id: 0, method: 'initialize',
    params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'agentedge-bench', version: '1.0.0' } },
  });
  const sessionId = init.headers['mcp-session-id'];
  if (init.status !== 200 || typeof sessionId !== 'string') throw new Error(`initialize at ${url}: ${init.status} ${init.text.slice(0, 200)}`);
  const protocolVersion = JSON.parse(init.text).result?.protocolVersion;
  if (typeof protocolVersion !== 'string') throw new Error(`initialize at ${url}: no protocolVersion in ${init.text.slice(0, 200)}`);
  const headers = { 'content-type': 'application/json', accept: MCP_ACCEPT, 'mcp-session-id': sessionId, 'mcp-protocol-version': protocolVersion };
  const note = await post(headers, { jsonrpc: '2.0', method: 'notifications/initialized' });
  if (note.status !== 202) throw new Error(`notifications/initialized at ${url}: ${note.status} ${note.text.slice(0, 200)}`);
  let id = 1;
  return {
    sessionId,
    protocolVersion,
    /** One tools/call; `check`: parse the answer and compare the echoed text. */
    async call(check = false) {
      const { statusCode, headers: h, body } = await client.request({
        path: pathname, method: 'POST', headers,
        body: `{"jsonrpc":"2.0","id":${id++},"method":"tools/call","params":{"name":"${tool}","arguments":{"text":"${MCP_TEXT}"}}}`,
      });
      const text = await body.text();
      if (statusCode !== 200 || !String(h['content-type']).startsWith('application/json') || !text.includes('"result"')) {
        throw new Error(`tools/call ${tool} at ${url}: ${statusCode} ${h['content-type']} ${text.slice(0, 200)}`);
      }
      if (check && JSON.parse(text).result?.content?.[0]?.text !== MCP_TEXT) throw new Error(`tools/call ${tool} at ${url}: unexpected answer ${text.slice(0, 200)}`);
    },
    async close() {
      try {
        const res = await client.request({ path: pathname, method: 'DELETE', headers });
        await res.body.dump();
      } catch { /* best effort */ }
      await client.close();
    },
  };
}

/**
 * `sessions` sessions each keeping one tools/call in flight for `seconds`: calls/s, latency
 * percentiles of the calls (ms), and the CPU the gateway and the MCP server used per call.
 */
async function mcpLoaded(name, target, sessions, seconds, upstreamPid, record = true) {
  for (const s of sessions) await s.call(true);
  const gwBefore = target.child ? cpuMs(target.child.pid) : null;
  const upBefore = cpuMs(upstreamPid);
  const latencies = [];
  const t0 = performance.now();
  const deadline = t0 + seconds * 1000;
  const MAX_CALLS = 5_000_000;
  let calls = 0;
  await Promise.all(sessions.map(async (s) => {
    while (performance.now() < deadline && calls < MAX_CALLS) {
      const t = performance.now();
      await s.call(false);
      latencies.push(performance.now() - t);
      calls++;
    }
  }));
  const elapsed = (performance.now() - t0) / 1000;
  const gwAfter = target.child ? cpuMs(target.child.pid) : null;
  const upAfter = cpuMs(upstreamPid);
  served(target, calls + sessions.length);
  const l = stats(latencies);
  const row = {
    scenario: name,
    sessions: sessions.length,
    rps: calls / elapsed,
    p50: l.p50,
    p99: l.p99,
    requests: calls,
    cpuUsPerReq: gwBefore !== null && gwAfter !== null && calls > 0 ? ((gwAfter - gwBefore) * 1000) / calls : null,
    upstreamCpuUsPerReq: upBefore !== null && upAfter !== null && calls > 0 ? ((upAfter - upBefore) * 1000) / calls : null,
  };
  if (record) console.log(`  ${name.padEnd(34)} ${fmt(row.rps, 0).padStart(7)} calls/s  p50 ${fmt(row.p50, 3)} ms  p99 ${fmt(row.p99, 3)} ms  CPU µs/call gateway ${fmt(row.cpuUsPerReq, 0)}, server ${fmt(row.upstreamCpuUsPerReq, 0)}`);
  return row;
}

/** One session, sequential tools/call for `seconds` (after 200 warmup calls); latency of each in ms. */
async function mcpSerial(target, tool, seconds) {
  const s = await mcpSession(target.url, tool);
  try {
    await s.call(true);
    for (let i = 0; i < 200; i++) await s.call(false);
    const samples = [];
    const deadline = performance.now() + seconds * 1000;
    for (let i = 0; i < 1_000_000 && performance.now() < deadline; i++) {
      const t = performance.now();
      await s.call(false);
      samples.push(performance.now() - t);
    }
    served(target, 201 + samples.length);
    return samples;
  } finally {
    await s.close();
  }
}

/** tools/call through the gateway's mcp backend vs directly to the same Streamable HTTP server. */
async function mcpScenarios(dir) {
  const upstream = await forkChild('mcp-upstream.mjs', 'mcp-upstream');
  const mcpUrl = upstream.url + upstream.path;
  const gateway = await startGateway('gateway-mcp', mcpUrl, 'off', dir, PROFILE, GATEWAY_BIN, [], mcpGatewayConfig);
  const direct = { url: mcpUrl, child: null, tool: 'echo' };
  const gw = { url: `${gateway.url}/mcp`, child: gateway.child, tool: 'b__echo' };
  console.log(`\n=== MCP: tools/call (${MCP_TEXT.length}-character echo), SDK 1.x Streamable HTTP server, JSON responses ===`);
  console.log(`MCP server ${mcpUrl} (tool echo), gateway ${gw.url} (tool b__echo); ${MCP_SESSIONS} sessions, one call in flight each, ${MCP_DURATION} s per run, ${ROUNDS} direct/gateway rounds\n`);

  const sessions = {};
  for (const [k, t] of [['direct', direct], ['gateway', gw]]) {
    sessions[k] = [];
    for (let i = 0; i < MCP_SESSIONS; i++) sessions[k].push(await mcpSession(t.url, t.tool));
  }
  console.log(`negotiated ${sessions.direct[0].protocolVersion} (direct), ${sessions.gateway[0].protocolVersion} (gateway)`);
  console.log('warming up');
  for (const k of ['direct', 'gateway']) await mcpLoaded('warmup', k === 'direct' ? direct : gw, sessions[k], WARMUP, upstream.child.pid, false);

  console.log(`tools/call: throughput (${MCP_SESSIONS} sessions)`);
  const rows = [];
  for (let round = 1; round <= ROUNDS; round++) {
    rows.push(await mcpLoaded(`tools/call, direct #${round}`, direct, sessions.direct, MCP_DURATION, upstream.child.pid));
    rows.push(await mcpLoaded(`tools/call, gateway #${round}`, gw, sessions.gateway, MCP_DURATION, upstream.child.pid));
  }
  for (const list of Object.values(sessions)) await Promise.all(list.map((s) => s.close()));
  const pick = (what, key) => rows.filter((r) => r.scenario.includes(what)).map((r) => r[key]);
  const directRps = pick(', direct ', 'rps');
  const gwRps = pick(', gateway ', 'rps');
  const gwCpu = pick(', gateway ', 'cpuUsPerReq');
  const upCpuDirect = pick(', direct ', 'upstreamCpuUsPerReq');
  const upCpuGw = pick(', gateway ', 'upstreamCpuUsPerReq');
  const summary = {
    gatewayOverDirect: mean(gwRps) / mean(directRps),
    gatewayOverDirectPerPair: gwRps.map((g, i) => g / directRps[i]),
    cpuUsGateway: gwCpu.includes(null) ? null : mean(gwCpu),
    upstreamCpuUsDirect: upCpuDirect.includes(null) ? null : mean(upCpuDirect),
    upstreamCpuUsGateway: upCpuGw.includes(null) ? null : mean(upCpuGw),
  };

  console.log(`\ntools/call, concurrency 1 (one session on one keep-alive connection, sequential calls, ${MCP_LATENCY_SECONDS} s per run)`);
  const serial = { direct: [], gateway: [] };
  for (let round = 0; round < 2; round++) {
    serial.direct.push(...await mcpSerial(direct, 'echo', MCP_LATENCY_SECONDS));
    serial.gateway.push(...await mcpSerial(gw, 'b__echo', MCP_LATENCY_SECONDS));
  }
  const latency = Object.fromEntries(Object.entries(serial).map(([k, v]) => [k, stats(v)]));
  for (const [k, v] of Object.entries(latency)) console.log(`  ${k.padEnd(10)} n=${v.n}  p50 ${fmt(v.p50, 3)} ms  p99 ${fmt(v.p99, 3)} ms`);
  summary.addedP50Ms = latency.gateway.p50 - latency.direct.p50;
  summary.addedP99Ms = latency.gateway.p99 - latency.direct.p99;

  const verdict = (ok) => (ok ? 'met' : 'NOT met');
  console.log('\n| MCP scenario | calls/s | p50 ms | p99 ms | gateway CPU µs/call | MCP server CPU µs/call |');
  console.log('|---|---:|---:|---:|---:|---:|');
  for (const r of rows) console.log(`| ${r.scenario} | ${fmt(r.rps, 0)} | ${fmt(r.p50, 2)} | ${fmt(r.p99, 2)} | ${fmt(r.cpuUsPerReq, 0)} | ${fmt(r.upstreamCpuUsPerReq, 0)} |`);
  console.log(`
MCP tools/call  gateway / direct ${fmt(summary.gatewayOverDirect, 3)} (per pair ${summary.gatewayOverDirectPerPair.map((x) => fmt(x, 3)).join(', ')}; target ≥ 0.7 → ${verdict(summary.gatewayOverDirect >= 0.7)}); CPU µs/call gateway ${fmt(summary.cpuUsGateway, 0)}, MCP server ${fmt(summary.upstreamCpuUsDirect, 0)} direct / ${fmt(summary.upstreamCpuUsGateway, 0)} via gateway
MCP tools/call  concurrency 1 p50 direct ${fmt(latency.direct.p50, 3)} ms, gateway ${fmt(latency.gateway.p50, 3)} ms → added ${fmt(summary.addedP50Ms, 3)} ms, p99 added ${fmt(summary.addedP99Ms, 3)} ms (target ≤ 0.3 ms → ${verdict(summary.addedP50Ms <= 0.3)})`);
  await Promise.all([upstream.child, gateway.child].map(stop));
  return { rows, latency, summary };
}

async function main() {
  mkdirSync(RESULTS, { recursive: true });
  if (PROFILE) mkdirSync(PROFILE_DIR, { recursive: true });
  const dir = mkdtempSync(join(tmpdir(), 'agentedge-bench-'));
  const started = new Date();
  const info = {
    date: started.toISOString(),
    node: process.version,
    cpus: availableParallelism(),
    cpuModel: cpus()[0]?.model ?? 'unknown',
    loadavgAtStart: loadavg().map((x) => Number(x.toFixed(2))),
    groups: [...ONLY],
    gatewayBin: GATEWAY_BIN,
    durationSeconds: DURATION,
    llmDurationSeconds: LLM_DURATION,
    llmLatencySeconds: LLM_LATENCY_SECONDS,
    ttftSeconds: TTFT_SECONDS,
    rounds: ROUNDS,
    warmupSeconds: WARMUP,
    connections: CONNECTIONS,
    sseChunks: SSE_CHUNKS,
    sseGapMs: SSE_GAP_MS,
    mcpSessions: MCP_SESSIONS,
    mcpDurationSeconds: MCP_DURATION,
    mcpLatencySeconds: MCP_LATENCY_SECONDS,
  };
  console.log(`agentedge bench — ${info.date}, Node ${info.node}, ${info.cpus} CPUs (${info.cpuModel}), load average ${info.loadavgAtStart.join(' ')}; scenarios ${info.groups.join(', ')}`);

  try {
    const out = { info, served: SERVED };
    if (ONLY.has('http')) Object.assign(out, await httpScenarios(dir));
    if (ONLY.has('llm-json') || ONLY.has('llm-sse')) out.llm = await llmScenarios(dir);
    if (ONLY.has('llm-chain')) out.llmChain = await llmChainScenarios(dir, 'sqlite');
    if (ONLY.has('llm-chain-redis')) out.llmChainRedis = await llmChainScenarios(dir, 'redis');
    if (ONLY.has('llm-chain-redis-strict')) out.llmChainRedisStrict = await llmChainScenarios(dir, 'redis-strict');
    if (ONLY.has('mcp')) out.mcp = await mcpScenarios(dir);
    const file = join(RESULTS, `bench-${started.toISOString().replace(/[:.]/g, '-')}.json`);
    writeFileSync(file, JSON.stringify(out, null, 2) + '\n');
    console.log(`\nresults: ${file} (${((Date.now() - started.getTime()) / 1000).toFixed(0)} s)`);
  } finally {
    await Promise.all([...children].map(stop));
    rmSync(dir, { recursive: true, force: true });
    if (PROFILE) console.log(`profiles: ${PROFILE_DIR} (node bench/profile-summary.mjs FILE)`);
  }
}

main().catch((err) => {
  console.error(err instanceof Error ? err.stack : err);
  process.exitCode = 1;
});
