// The agentedge command line. The only place in src/ that writes to the console directly.
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigError, formatIssue } from '../config/index.js';
import { readRuntimeConfig } from '../gateway/config.js';
import { Gateway } from '../gateway/gateway.js';
import { configWarnings } from '../gateway/config-checks.js';
import { startDemoUpstreams } from '../demo/upstreams.js';
import { runStateCommand, STATE_COMMANDS } from './state-commands.js';

const HELP = `agentedge — a protocol-native edge proxy for AI traffic

Usage:
  agentedge serve [--config FILE]     start the gateway (default config/quickstart.yaml)
  agentedge validate FILE             check a config file; exit 0 when valid
  agentedge demo [--config FILE]      start local demo upstreams, then serve the quickstart
  agentedge keys create --name NAME [--metadata k=v ...] --config FILE
                                      create an API key; it is printed once, only its hash is kept
  agentedge keys list [--metadata k=v ...] [--all] --config FILE
                                      list keys (id, name, prefix, metadata; never the key)
  agentedge keys revoke ID|NAME --config FILE
                                      revoke a key (a running gateway notices within 5 s)
  agentedge usage [--from X] [--to Y] [--group-by day|model|key] [--identity NAME]
                  [--model MODEL] [--metadata k=v ...] [--json] --config FILE
                                      LLM usage from the ledger, as a table or JSON
  agentedge --version                 print the version
  agentedge --help                    print this help

keys and usage open the config's state store directly (gateway.state), with or without a
running gateway; \`agentedge keys --help\` and \`agentedge usage --help\` say more.
Exit codes: 0 ok, 1 failure, 2 usage error.

Signals: SIGHUP reloads the config; SIGTERM/SIGINT drain and exit.`;

// The package root is the nearest folder above this file with a package.json: dist/src/cli
// when installed, src/cli when run from source.
const pkgRoot = findPackageRoot(fileURLToPath(new URL('.', import.meta.url)));

function findPackageRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) return from;
  }
}

function version(): string {
  const pkg = JSON.parse(readFileSync(resolve(pkgRoot, 'package.json'), 'utf8')) as { version: string };
  return pkg.version;
}

/** Where the command word is: the first argument that is neither an option nor --config's value. */
function commandIndex(argv: string[]): number {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--config' || a === '-c') { i++; continue; }
    if (!a.startsWith('-')) return i;
  }
  return -1;
}

export async function main(argv: string[]): Promise<number> {
  // keys and usage have options of their own; they parse their arguments themselves.
  const at = commandIndex(argv);
  const word = at === -1 ? undefined : argv[at];
  if (word !== undefined && STATE_COMMANDS.has(word)) return runStateCommand(word, [...argv.slice(0, at), ...argv.slice(at + 1)]);
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      config: { type: 'string', short: 'c' },
      help: { type: 'boolean', short: 'h' },
      version: { type: 'boolean', short: 'v' },
    },
    strict: true,
  });
  if (values.version) { console.log(version()); return 0; }
  const [command, ...rest] = positionals;
  if (values.help || command === undefined || command === 'help') { console.log(HELP); return command === undefined && !values.help ? 1 : 0; }

  switch (command) {
    case 'validate': {
      const file = rest[0] ?? values.config;
      if (!file) { console.error('usage: agentedge validate FILE'); return 2; }
      try {
        const config = readRuntimeConfig(file);
        console.log(`${file}: valid`);
        for (const warning of configWarnings(config)) console.error(`warning: ${warning}`);
        return 0;
      } catch (err) {
        return reportConfigError(err);
      }
    }
    case 'serve':
    case 'demo': {
      const file = values.config ?? rest[0] ?? resolve(pkgRoot, 'config/quickstart.yaml');
      const demo = command === 'demo' ? await startDemoUpstreams() : null;
      let gateway: Gateway;
      try {
        gateway = await Gateway.start({ configPath: file });
      } catch (err) {
        await demo?.close();
        return reportConfigError(err);
      }
      if (demo) console.log(demo.describe(gateway));
      return serveUntilSignal(gateway, () => demo?.close());
    }
    default:
      console.error(`unknown command "${command}"\n\n${HELP}`);
      return 2;
  }
}

/**
 * Runs until SIGTERM or SIGINT, then drains: listeners stop accepting at once, requests in
 * flight get until gateway.drainTimeout, and the exit code is 0 either way (a drain that hit
 * its deadline is still an orderly stop). SIGHUP reloads the config file.
 */
function serveUntilSignal(gateway: Gateway, cleanup: () => Promise<void> | undefined): Promise<number> {
  return new Promise<number>((resolveExit) => {
    let stopping = false;
    const onHup = () => {
      gateway.logger.info({ signal: 'SIGHUP' }, 'reloading the config');
      void gateway.reload();
    };
    const stop = async (signal: NodeJS.Signals) => {
      if (stopping) {
        gateway.logger.info({ signal }, 'already draining');
        return;
      }
      stopping = true;
      gateway.logger.info({ signal }, 'shutting down');
      let code = 0;
      try {
        await gateway.close();
        await cleanup();
      } catch (err) {
        gateway.logger.error({ err: err instanceof Error ? err.message : String(err) }, 'shutdown failed');
        code = 1;
      }
      for (const [s, h] of handlers) process.off(s, h);
      gateway.logger.info({ code }, 'agentedge stopped');
      gateway.logger.flush();
      resolveExit(code);
    };
    const handlers: [NodeJS.Signals, () => void][] = [
      ['SIGTERM', () => void stop('SIGTERM')],
      ['SIGINT', () => void stop('SIGINT')],
      ['SIGHUP', onHup],
    ];
    for (const [s, h] of handlers) process.on(s, h);
  });
}

function reportConfigError(err: unknown): number {
  if (err instanceof ConfigError) {
    console.error(`${err.file}: invalid configuration`);
    for (const i of err.issues) console.error(formatIssue(i));
    return 1;
  }
  const e = err as NodeJS.ErrnoException;
  if (e.code === 'EADDRINUSE' || e.code === 'EACCES') {
    console.error(`cannot listen: ${e.message}`);
    return 1;
  }
  console.error(err instanceof Error ? err.stack : String(err));
  return 1;
}
