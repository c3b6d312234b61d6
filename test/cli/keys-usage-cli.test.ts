// `agentedge keys create|list|revoke` and `agentedge usage`, run as child processes against
// the config file of a gateway that is running (in this process) on the same SQLite state:
// a key created by the CLI authenticates there, a revoke takes effect within the key cache
// time, and usage shows the gateway's calls. Usage errors exit 2, failures 1.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import OpenAI from 'openai';
import { startGateway } from '../helpers/gateway.js';
import { startFakeOpenAI } from '../llm/support.js';
import { hashKey, STORED_KEY_CACHE } from '../../src/policy/apikey.js';
import { hi, keysConfig, openai } from '../admin/state-support.js';
import { configFile, REPO, runCli } from './run-cli.js';

async function setup(t: { after(fn: () => Promise<void>): void }) {
  const fake = await startFakeOpenAI();
  const gw = await startGateway(keysConfig(fake));
  t.after(async () => { await gw.close(); await fake.close(); });
  return gw;
}

/** The `field: value` lines `keys create` prints. */
function fields(stdout: string): Record<string, string> {
  return Object.fromEntries(stdout.trim().split('\n').map((l) => /^(\w+):\s+(.*)$/.exec(l)!.slice(1, 3) as [string, string]));
}

test('keys create prints the key once; it authenticates against the gateway on the same config; list shows it without the key; revoke stops it', { timeout: 120_000 }, async (t) => {
  const gw = await setup(t);
  const config = ['--config', gw.configPath];
  const created = await runCli(['keys', 'create', '--name', 'cli-app', '--metadata', 'team=a', '--metadata', 'org=acme', ...config]);
  assert.equal(created.code, 0, created.stderr);
  const f = fields(created.stdout);
  assert.match(f.id!, /^key_/);
  assert.equal(f.name, 'cli-app');
  assert.equal(f.metadata, 'team=a,org=acme');
  assert.match(f.key!, /^ae-/);
  assert.ok(f.key!.startsWith(f.prefix!));
  assert.match(created.stderr, /only this once/);

  const client = openai(gw.url(), f.key!);
  assert.equal((await client.chat.completions.create({ model: 'fast', ...hi })).choices[0]!.message.content, 'Hello world');

  const [listed, teamB, jsonList] = await Promise.all([
    runCli(['keys', 'list', ...config]),
    runCli(['keys', 'list', '--metadata', 'team=b', ...config]),
    runCli(['keys', 'list', '--metadata', 'team=a', '--json', ...config]),
  ]);
  assert.equal(listed.code, 0, listed.stderr);
  assert.match(listed.stdout, /^ID\s+NAME\s+PREFIX\s+CREATED\s+REVOKED\s+METADATA$/m);
  assert.match(listed.stdout, new RegExp(`^${f.id}\\s+cli-app\\s+${f.prefix!.replace(/[-_]/g, '\\$&')}\\s+\\S+Z\\s+-\\s+team=a,org=acme$`, 'm'));
  assert.ok(!listed.stdout.includes(f.key!) && !listed.stdout.includes(hashKey(f.key!)), 'never the key or its hash');
  assert.equal(teamB.stdout, 'no keys\n');
  const json = JSON.parse(jsonList.stdout);
  assert.deepEqual(json.keys.map((k: any) => Object.keys(k).sort()), [['createdAt', 'id', 'metadata', 'name', 'prefix', 'revokedAt']]);

  const revoked = await runCli(['keys', 'revoke', 'cli-app', ...config]);
  assert.equal(revoked.code, 0, revoked.stderr);
  assert.equal(revoked.stdout, `revoked ${f.id}\n`);
  // Another process revoked it: the gateway's cache of the good lookup lasts 5 s at most.
  const deadline = Date.now() + STORED_KEY_CACHE.positiveTtlMs + 2_000;
  for (;;) {
    const refused = await client.chat.completions.create({ model: 'fast', ...hi }).then(() => false, (e: unknown) => e instanceof OpenAI.AuthenticationError);
    if (refused) break;
    assert.ok(Date.now() < deadline, 'the revoked key is refused within the cache time');
    await new Promise((r) => setTimeout(r, 200));
  }
  const [live, all] = await Promise.all([runCli(['keys', 'list', ...config]), runCli(['keys', 'list', '--all', ...config])]);
  assert.equal(live.stdout, 'no keys\n');
  assert.match(all.stdout, new RegExp(`^${f.id}\\s+cli-app\\s+\\S+\\s+\\S+Z\\s+\\S+Z\\s+team=a,org=acme$`, 'm'));
});

test('usage --group-by model --json (and the table forms) show the gateway\'s calls', { timeout: 120_000 }, async (t) => {
  const gw = await setup(t);
  const config = ['--config', gw.configPath];
  const create = async (name: string, team: string) => {
    const r = await runCli(['keys', 'create', '--name', name, '--metadata', `team=${team}`, '--json', ...config]);
    assert.equal(r.code, 0, r.stderr);
    return JSON.parse(r.stdout).key as string;
  };
  const [one, two] = await Promise.all([create('one', 'a'), create('two', 'b')]);
  for (const [key, model] of [[one, 'fast'], [one, 'fast'], [two, 'local']] as const) {
    await openai(gw.url(), key).chat.completions.create({ model, ...hi });
  }
  // The gateway writes its ledger just after each answer; its own query flushes what is pending.
  for (let i = 0; (await gw.gw.state.queryUsage({})).length < 3; i++) {
    assert.ok(i < 100, 'three usage entries within 2 s');
    await new Promise((r) => setTimeout(r, 20));
  }

  const [byModel, table, entries, teamAOut, forTwoOut, futureOut] = await Promise.all([
    runCli(['usage', '--group-by', 'model', '--json', ...config]),
    runCli(['usage', '--group-by', 'key', ...config]),
    runCli(['usage', ...config]),
    runCli(['usage', '--metadata', 'team=a', '--group-by', 'model', '--json', ...config]),
    runCli(['usage', '--identity', 'two', '--json', ...config]),
    runCli(['usage', '--from', new Date(Date.now() + 60_000).toISOString(), '--json', ...config]),
  ]);
  assert.equal(byModel.code, 0, byModel.stderr);
  const groups = JSON.parse(byModel.stdout).usage;
  assert.deepEqual(groups.map((g: any) => [g.group, g.calls, g.inputTokens, g.outputTokens]), [['fast', 2, 22, 14], ['local', 1, 11, 7]]);

  assert.equal(table.code, 0, table.stderr);
  assert.match(table.stdout, /^KEY\s+CALLS\s+INPUT\s+OUTPUT\s+COST_USD\s+UNPRICED$/m);
  assert.match(table.stdout, /^one\s+2\s+22\s+14\s/m);
  assert.match(table.stdout, /^two\s+1\s+11\s+7\s/m);

  assert.match(entries.stdout, /^TIME\s+IDENTITY\s+MODEL\s+TARGET\s+STATUS\s+INPUT\s+OUTPUT\s+COST_USD$/m);
  assert.equal(entries.stdout.trim().split('\n').length, 4);

  const teamA = JSON.parse(teamAOut.stdout).usage;
  assert.deepEqual(teamA.map((g: any) => [g.group, g.calls]), [['fast', 2]]);
  const forTwo = JSON.parse(forTwoOut.stdout).usage;
  assert.equal(forTwo.length, 1);
  assert.equal(forTwo[0].model, 'local');
  assert.match(forTwo[0].time, /Z$/);
  const future = JSON.parse(futureOut.stdout).usage;
  assert.deepEqual(future, []);
});

/** A config with no state named: the default SQLite file next to it. */
const MINIMAL = `listeners:
  - name: edge
    port: 0
    routes:
      - { name: all, match: { path: / }, backend: up }
backends:
  up:
    http: { url: "http://127.0.0.1:9" }
`;

test('keys and usage: usage errors exit 2, failures exit 1, each with a message on stderr', { timeout: 120_000 }, async () => {
  const file = configFile(MINIMAL);
  const usageErrors: [string[], RegExp][] = [
    [['keys', '--config', file], /keys needs a subcommand/],
    [['keys', 'frob', '--config', file], /unknown keys subcommand "frob"/],
    [['keys', 'create', '--config', file], /keys create needs --name/],
    [['keys', 'create', '--name', 'x', '--metadata', 'novalue', '--config', file], /--metadata takes key=value/],
    [['keys', 'create', '--name', 'x', '--all', '--config', file], /keys create does not take --all/],
    [['keys', 'list'], /--config FILE is required/],
    [['keys', 'list', '--bogus', '--config', file], /bogus/],
    [['keys', 'revoke', '--config', file], /keys revoke needs the key's ID or NAME/],
    [['usage', '--group-by', 'week', '--config', file], /--group-by must be day, model or key/],
    [['usage', '--from', 'yesterday', '--config', file], /--from must be an ISO 8601/],
    [['usage', '--limit', '0', '--config', file], /--limit must be an integer/],
  ];
  // Each run is its own process (several seconds through tsx): run them side by side.
  const results = await Promise.all(usageErrors.map(([args]) => runCli(args)));
  usageErrors.forEach(([args, message], i) => {
    const r = results[i]!;
    assert.equal(r.code, 2, args.join(' '));
    assert.match(r.stderr, message, args.join(' '));
    assert.equal(r.stdout, '');
  });
  const failures: [string[], RegExp][] = [
    [['keys', 'revoke', 'nope', '--config', file], /no live key has the id or name "nope"/],
    [['keys', 'list', '--config', join(REPO, 'no-such-dir/agentedge.yaml')], /\S/],
  ];
  const [failed, first, help, usageHelp, top] = await Promise.all([
    Promise.all(failures.map(([args]) => runCli(args))),
    runCli(['keys', 'create', '--name', 'dup', '--config', file]),
    runCli(['keys', '--help']),
    runCli(['usage', '--help']),
    runCli(['--help']),
  ]);
  failures.forEach(([args, message], i) => {
    assert.equal(failed[i]!.code, 1, args.join(' '));
    assert.match(failed[i]!.stderr, message, args.join(' '));
  });
  assert.equal(first.code, 0);
  const dup = await runCli(['keys', 'create', '--name', 'dup', '--config', file]);
  assert.equal(dup.code, 1);
  assert.match(dup.stderr, /a live key named "dup" already exists/);

  assert.equal(help.code, 0);
  assert.match(help.stdout, /within 5 s/);
  assert.match(usageHelp.stdout, /--group-by/);
  for (const cmd of ['keys create', 'keys list', 'keys revoke', 'usage']) assert.ok(top.stdout.includes(`agentedge ${cmd}`), cmd);
});

test('bin/agentedge.js (the built entry point) runs keys create and keys list', { timeout: 30_000 }, async () => {
  const built = join(REPO, 'dist/src/cli/state-commands.js');
  assert.ok(existsSync(built), `${built} is missing: run \`npm run build\` (npm test does) before this test`);
  const file = configFile(MINIMAL);
  const created = await runCli(['keys', 'create', '--name', 'from-bin', '--json', '--config', file], { bin: true });
  assert.equal(created.code, 0, created.stderr);
  const { id, key } = JSON.parse(created.stdout);
  const listed = await runCli(['keys', 'list', '--config', file], { bin: true });
  assert.equal(listed.code, 0, listed.stderr);
  assert.match(listed.stdout, new RegExp(`^${id}\\s+from-bin\\s`, 'm'));
  assert.ok(!listed.stdout.includes(key));
});
