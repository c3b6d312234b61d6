// `agentedge keys create|list|revoke` and `agentedge usage`: the admin API's key and usage
// operations (src/admin/state-api.ts, the same validation and steps) run against the state
// store named by a config file, opened here and closed after. They work with or without a
// gateway running on that config: SQLite in WAL mode takes a second process, and the
// Redis + Postgres store is shared anyway. The price of not going through the gateway: its
// cache of stored-key lookups may accept a revoked key for up to 5 s.
import { parseArgs } from 'node:util';
import { ConfigError, formatIssue, scrubSecrets, type RuntimeConfig } from '../config/index.js';
import { readRuntimeConfig } from '../gateway/config.js';
import { stateSpec } from '../gateway/gateway.js';
import { STORED_KEY_CACHE } from '../policy/apikey.js';
import { openState, StateConflictError, type StateStore, type UsageGroup } from '../state/index.js';
import {
  createStoredKey, InputError, keyView, parseKeyFilter, parseNewKey, parseUsageQuery, queryUsageView, revokeStoredKey,
  type KeyView, type UsageEntryView,
} from '../admin/state-api.js';

export const STATE_COMMANDS: ReadonlySet<string> = new Set(['keys', 'usage']);

const CACHE_SECONDS = STORED_KEY_CACHE.positiveTtlMs / 1000;

export const KEYS_HELP = `Usage:
  agentedge keys create --name NAME [--metadata k=v ...] [--json] --config FILE
      create an API key; the key is printed once (only its hash is stored)
  agentedge keys list [--metadata k=v ...] [--all] [--json] --config FILE
      list keys (never the key itself); --all includes revoked keys
  agentedge keys revoke ID|NAME --config FILE
      revoke a live key by id or name

The commands open the state store of the config (gateway.state) directly, so they work
whether or not a gateway is running. A running gateway caches key lookups: a key revoked
here stops working there within ${CACHE_SECONDS} s (DELETE /keys/<id> on its admin API takes effect at once).`;

export const USAGE_HELP = `Usage:
  agentedge usage [--from X] [--to Y] [--group-by day|model|key] [--identity NAME]
                  [--model MODEL] [--metadata k=v ...] [--limit N] [--json] --config FILE

  --from, --to   ISO 8601 date or time (UTC unless an offset is given) or epoch ms;
                 from is inclusive, to exclusive
  --group-by     totals per UTC day, per model (as the client named it) or per key
  --identity     one key name or JWT subject;  --model  one model
  --metadata     only calls whose identity has this metadata (repeatable: all must match)
  --limit        at most N entries, newest first (default 1000; not with --group-by)`;

/** A command-line mistake: exit 2 with the message and the command's help. */
class UsageError extends Error {}

/** Flags of `agentedge usage` and the admin API parameters they become. */
const USAGE_FLAGS = { from: 'from', to: 'to', 'group-by': 'groupBy', identity: 'identity', model: 'model', limit: 'limit' } as const;

/** Runs `keys …` or `usage …` (`args` without the command word); answers the exit code. */
export async function runStateCommand(command: string, args: string[]): Promise<number> {
  try {
    return command === 'keys' ? await keysCommand(args) : await usageCommand(args);
  } catch (err) {
    if (err instanceof UsageError || isParseArgsError(err)) {
      console.error(`${(err as Error).message}\n(agentedge ${command} --help shows the usage)`);
      return 2;
    }
    if (err instanceof ConfigError) {
      console.error(`${err.file}: invalid configuration`);
      for (const i of err.issues) console.error(formatIssue(i));
      return 1;
    }
    console.error(err instanceof Error ? err.message : String(err));
    return 1;
  }
}

function isParseArgsError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS_');
}

async function keysCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    strict: true,
    options: {
      config: { type: 'string', short: 'c' },
      name: { type: 'string' },
      metadata: { type: 'string', multiple: true },
      all: { type: 'boolean' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const [sub, ...rest] = positionals;
  if (values.help === true) { console.log(KEYS_HELP); return 0; }
  const only = (allowed: string[], what: string) => {
    const extra = (['name', 'metadata', 'all', 'json'] as const).filter((o) => values[o] !== undefined && !allowed.includes(o));
    if (extra.length > 0) throw new UsageError(`${what} does not take --${extra.join(', --')}`);
  };
  switch (sub) {
    case 'create': {
      only(['name', 'metadata', 'json'], 'keys create');
      if (rest.length > 0) throw new UsageError(`unexpected argument "${rest[0]}"`);
      if (values.name === undefined) throw new UsageError('keys create needs --name NAME');
      const input = asFlags(() => parseNewKey({ name: values.name, metadata: pairs(values.metadata ?? []) }));
      return withState(values.config, async (state) => {
        try {
          const created = await createStoredKey(state, input);
          if (values.json === true) console.log(JSON.stringify(created, null, 2));
          else {
            console.log(`id:       ${created.id}\nname:     ${created.name}\nprefix:   ${created.prefix}\nmetadata: ${formatMetadata(created.metadata)}\nkey:      ${created.key}`);
            console.error('The key is shown only this once: only its hash is stored.');
          }
          return 0;
        } catch (err) {
          if (err instanceof StateConflictError) { console.error(`a live key named "${input.name}" already exists`); return 1; }
          throw err;
        }
      });
    }
    case 'list': {
      only(['metadata', 'all', 'json'], 'keys list');
      if (rest.length > 0) throw new UsageError(`unexpected argument "${rest[0]}"`);
      const params = new URLSearchParams();
      for (const [k, v] of Object.entries(pairs(values.metadata ?? []))) params.append(`metadata.${k}`, v);
      if (values.all === true) params.set('includeRevoked', 'true');
      const filter = asFlags(() => parseKeyFilter(params));
      return withState(values.config, async (state) => {
        const keys = (await state.listKeys(filter)).map(keyView);
        if (values.json === true) console.log(JSON.stringify({ keys }, null, 2));
        else console.log(keysTable(keys));
        return 0;
      });
    }
    case 'revoke': {
      only([], 'keys revoke');
      const [target, ...more] = rest;
      if (target === undefined || target === '') throw new UsageError('keys revoke needs the key\'s ID or NAME');
      if (more.length > 0) throw new UsageError(`unexpected argument "${more[0]}"`);
      return withState(values.config, async (state) => {
        const id = await revokeStoredKey(state, target);
        if (id === null) { console.error(`no live key has the id or name "${target}"`); return 1; }
        console.log(`revoked ${id}`);
        return 0;
      });
    }
    case undefined:
      throw new UsageError('keys needs a subcommand: create, list or revoke');
    default:
      throw new UsageError(`unknown keys subcommand "${sub}"`);
  }
}

async function usageCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    strict: true,
    options: {
      config: { type: 'string', short: 'c' },
      from: { type: 'string' },
      to: { type: 'string' },
      'group-by': { type: 'string' },
      identity: { type: 'string' },
      model: { type: 'string' },
      metadata: { type: 'string', multiple: true },
      limit: { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help === true) { console.log(USAGE_HELP); return 0; }
  if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
  if (values.limit !== undefined && values['group-by'] !== undefined) throw new UsageError('--limit does not apply with --group-by');
  const params = new URLSearchParams();
  for (const [flag, param] of Object.entries(USAGE_FLAGS)) {
    const v = values[flag as keyof typeof USAGE_FLAGS];
    if (v !== undefined) params.set(param, v);
  }
  for (const [k, v] of Object.entries(pairs(values.metadata ?? []))) params.append(`metadata.${k}`, v);
  const query = asFlags(() => parseUsageQuery(params));
  return withState(values.config, async (state) => {
    const rows = await queryUsageView(state, query);
    if (values.json === true) console.log(JSON.stringify({ usage: rows }, null, 2));
    else console.log(query.groupBy === undefined ? entriesTable(rows as UsageEntryView[]) : groupsTable(query.groupBy, rows as UsageGroup[]));
    return 0;
  });
}

/** Runs a shared validation; its InputError becomes a usage error naming the flag, not the API field. */
function asFlags<T>(validate: () => T): T {
  try {
    return validate();
  } catch (err) {
    if (!(err instanceof InputError)) throw err;
    const flag = Object.entries(USAGE_FLAGS).find(([, p]) => p === err.param)?.[0];
    if (flag !== undefined) throw new UsageError(`--${flag} ${err.problem}`);
    if (err.param.startsWith('metadata.')) throw new UsageError(`--metadata ${err.param.slice('metadata.'.length)}: ${err.problem}`);
    throw new UsageError(`--${err.param} ${err.problem}`);
  }
}

/** `k=v` arguments (split at the first `=`) as an object; a key given twice is a mistake. */
function pairs(list: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of list) {
    const eq = item.indexOf('=');
    if (eq <= 0) throw new UsageError(`--metadata takes key=value, got "${item}"`);
    const k = item.slice(0, eq);
    if (Object.hasOwn(out, k)) throw new UsageError(`--metadata ${k} is given more than once`);
    out[k] = item.slice(eq + 1);
  }
  return out;
}

/**
 * Reads the config, opens its state store, runs `fn`, and closes the store whatever
 * happens. Callers validate their arguments first, so a usage error never opens anything.
 */
async function withState(configFile: string | undefined, fn: (state: StateStore) => Promise<number>): Promise<number> {
  if (configFile === undefined) throw new UsageError('--config FILE is required');
  const config: RuntimeConfig = readRuntimeConfig(configFile);
  let state: StateStore;
  try {
    state = await openState(stateSpec(config.gateway.state));
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    console.error(`the state store could not be opened: ${scrubSecrets(why, config.secrets)}`);
    return 1;
  }
  try {
    return await fn(state);
  } finally {
    await state.close();
  }
}

function formatMetadata(m: Readonly<Record<string, string>>): string {
  const entries = Object.entries(m);
  return entries.length === 0 ? '-' : entries.map(([k, v]) => `${k}=${v}`).join(',');
}

/** Left-aligned columns, two spaces apart; numbers right-aligned. */
function table(head: string[], rows: string[][], rightAligned: ReadonlySet<number> = new Set()): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells
    .map((c, i) => (rightAligned.has(i) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
    .join('  ')
    .trimEnd();
  return [line(head), ...rows.map(line)].join('\n');
}

function keysTable(keys: KeyView[]): string {
  if (keys.length === 0) return 'no keys';
  return table(['ID', 'NAME', 'PREFIX', 'CREATED', 'REVOKED', 'METADATA'],
    keys.map((k) => [k.id, k.name, k.prefix, k.createdAt, k.revokedAt ?? '-', formatMetadata(k.metadata)]));
}

const count = (n: number | null) => (n === null ? '-' : String(n));
const usd = (n: number | null) => (n === null ? '-' : n.toFixed(6));

function entriesTable(rows: UsageEntryView[]): string {
  if (rows.length === 0) return 'no usage';
  return table(['TIME', 'IDENTITY', 'MODEL', 'TARGET', 'STATUS', 'INPUT', 'OUTPUT', 'COST_USD'],
    rows.map((e) => [e.time, e.identity === '' ? '-' : e.identity, e.model, e.target, String(e.status), count(e.inputTokens), count(e.outputTokens), usd(e.costUsd)]),
    new Set([4, 5, 6, 7]));
}

function groupsTable(groupBy: 'day' | 'model' | 'key', rows: UsageGroup[]): string {
  if (rows.length === 0) return 'no usage';
  return table([groupBy.toUpperCase(), 'CALLS', 'INPUT', 'OUTPUT', 'COST_USD', 'UNPRICED'],
    rows.map((g) => [g.group === '' ? '-' : g.group, String(g.calls), String(g.inputTokens), String(g.outputTokens), usd(g.costUsd), String(g.unpricedCalls)]),
    new Set([1, 2, 3, 4, 5]));
}
