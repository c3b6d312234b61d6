// The agentedge command line. The only place in src/ that writes to the console directly.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigError, formatIssue, readRuntimeConfig } from '../config/index.js';
import { Gateway } from '../gateway/gateway.js';
import { startDemoUpstreams } from '../demo/upstreams.js';

const HELP = `agentedge — a protocol-native edge proxy for AI traffic

Usage:
  agentedge serve [--config FILE]     start the gateway (default config/quickstart.yaml)
  agentedge validate FILE             check a config file; exit 0 when valid
  agentedge demo [--config FILE]      start local demo upstreams, then serve the quickstart
  agentedge --version                 print the version
  agentedge --help                    print this help

Signals: SIGHUP reloads the config; SIGTERM/SIGINT drain and exit.`;

const pkgRoot = resolve(new URL('.', import.meta.url).pathname, '../../..');

function version(): string {
  const pkg = JSON.parse(readFileSync(resolve(pkgRoot, 'package.json'), 'utf8')) as { version: string };
  return pkg.version;
}

export async function main(argv: string[]): Promise<number> {
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
        readRuntimeConfig(file);
        console.log(`${file}: valid`);
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
      return new Promise<number>((resolveExit) => {
        let stopping = false;
        const stop = (signal: string) => {
          if (stopping) return;
          stopping = true;
          gateway.logger.info({ signal }, 'draining');
          void gateway.close().then(async () => { await demo?.close(); resolveExit(0); });
        };
        process.on('SIGTERM', () => stop('SIGTERM'));
        process.on('SIGINT', () => stop('SIGINT'));
        process.on('SIGHUP', () => { void gateway.reload(); });
      });
    }
    default:
      console.error(`unknown command "${command}"\n\n${HELP}`);
      return 2;
  }
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
