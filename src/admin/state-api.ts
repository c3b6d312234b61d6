// The admin API over the state store: API keys created at runtime and the usage ledger.
//   POST   /keys               create a key; the key itself is in this answer only
//   GET    /keys               list keys (metadata.<k>=<v> filters, includeRevoked=true)
//   DELETE /keys/<id or name>  revoke a live key
//   GET    /usage              usage entries or groups (from, to, identity, model,
//                              metadata.<k>=<v>, groupBy=day|model|key, limit)
// Handlers decide and return an answer (a status and a JSON body, or a GatewayError);
// server.ts writes it. Validation and the create / revoke steps are exported so the CLI
// (src/cli/state-commands.ts) runs the same code against a store it opens itself: the
// admin API and `agentedge keys|usage` cannot drift apart.
import type { IncomingMessage } from 'node:http';
import { GatewayError } from '../core/index.js';
import { generateApiKey } from '../policy/apikey.js';
import {
  StateConflictError, type KeyFilter, type StateStore, type StoredKey, type UsageEntry, type UsageGroup, type UsageQuery,
} from '../state/index.js';

/** Bounds of what a caller may store with a key (the same as for keys in config) and of a request body. */
export const KEY_LIMITS = Object.freeze({
  nameMaxChars: 128,
  metadataMaxEntries: 32,
  metadataKeyMaxChars: 64,
  metadataValueMaxChars: 1024,
  bodyMaxBytes: 64 * 1024,
});

/** Largest `limit` of a usage query that lists entries. */
export const USAGE_MAX_LIMIT = 10_000;

/** What the admin API answers: a JSON body with its status, or an error for the registry's renderer. */
export type AdminAnswer = { readonly status: number; readonly body: unknown } | GatewayError;

/** What the handlers need of the gateway: its store and a way to drop cached key lookups. */
export interface StateApiHost {
  readonly state: StateStore;
  forgetKeys(): void;
}

/** Bad input, naming the field or parameter it is about; the admin API answers 400, the CLI exits 2. */
export class InputError extends Error {
  readonly param: string;
  readonly problem: string;
  constructor(param: string, problem: string) {
    super(`${param} ${problem}`);
    this.name = 'InputError';
    this.param = param;
    this.problem = problem;
  }
}

/** A stored key as it may be shown: never a hash or the key. */
export interface KeyView {
  readonly id: string;
  readonly name: string;
  readonly prefix: string;
  readonly metadata: Readonly<Record<string, string>>;
  /** ISO 8601. */
  readonly createdAt: string;
  readonly revokedAt: string | null;
}

/** The answer to a create: the only place the key ever appears. */
export interface CreatedKey {
  readonly id: string;
  readonly name: string;
  readonly prefix: string;
  readonly metadata: Readonly<Record<string, string>>;
  readonly createdAt: string;
  readonly key: string;
}

export interface NewKeyInput {
  readonly name: string;
  readonly metadata: Readonly<Record<string, string>>;
}

/** A usage entry as shown: `time` is ISO 8601. */
export type UsageEntryView = Omit<UsageEntry, 'time'> & { readonly time: string };

// No control characters: a name is printed in tables and logs.
const CONTROL = /[\p{Cc}]/u;

export function keyView(k: StoredKey): KeyView {
  return {
    id: k.id, name: k.name, prefix: k.prefix, metadata: k.metadata,
    createdAt: new Date(k.createdAt).toISOString(),
    revokedAt: k.revokedAt === null ? null : new Date(k.revokedAt).toISOString(),
  };
}

function checkName(value: unknown, param: string): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > KEY_LIMITS.nameMaxChars || CONTROL.test(value)) {
    throw new InputError(param, `must be a string of 1 to ${KEY_LIMITS.nameMaxChars} characters without control characters`);
  }
  return value;
}

/** Checks one metadata entry (a filter's or a new key's); `param` names it in the error. */
export function checkMetadataEntry(key: string, value: unknown, param: string): string {
  if (key.length === 0 || key.length > KEY_LIMITS.metadataKeyMaxChars) {
    throw new InputError(param, `key must be 1 to ${KEY_LIMITS.metadataKeyMaxChars} characters`);
  }
  if (typeof value !== 'string' || value.length > KEY_LIMITS.metadataValueMaxChars) {
    throw new InputError(param, `value must be a string of at most ${KEY_LIMITS.metadataValueMaxChars} characters`);
  }
  return value;
}

/** The metadata of a new key: a JSON object of strings, bounded like keys in config. */
export function checkMetadata(value: unknown, param = 'metadata'): Record<string, string> {
  if (value === undefined) return {};
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InputError(param, 'must be an object of string values');
  }
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length > KEY_LIMITS.metadataMaxEntries) {
    throw new InputError(param, `must have at most ${KEY_LIMITS.metadataMaxEntries} entries`);
  }
  const out: Record<string, string> = {};
  for (const [k, v] of entries) out[k] = checkMetadataEntry(k, v, `${param}.${k}`);
  return out;
}

/** The body of POST /keys: `{ "name": "...", "metadata": { ... } }`, nothing else. */
export function parseNewKey(body: unknown): NewKeyInput {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new InputError('body', 'must be a JSON object');
  for (const field of Object.keys(body)) {
    if (field !== 'name' && field !== 'metadata') throw new InputError(field, 'is not a known field (expected name, metadata)');
  }
  const b = body as { name?: unknown; metadata?: unknown };
  return { name: checkName(b.name, 'name'), metadata: checkMetadata(b.metadata) };
}

/**
 * Creates a key: generates it, stores its hash, answers the key once. Throws
 * StateConflictError when a live key has the name.
 */
export async function createStoredKey(state: StateStore, input: NewKeyInput, now = Date.now()): Promise<CreatedKey> {
  const { key, prefix, hash, id } = generateApiKey();
  const metadata = Object.freeze({ ...input.metadata });
  await state.insertKey({ id, name: input.name, prefix, hash, metadata, createdAt: now });
  return { id, name: input.name, prefix, metadata, createdAt: new Date(now).toISOString(), key };
}

/** Revokes the live key with this id (first) or name; its id, or null when there is none. */
export async function revokeStoredKey(state: StateStore, idOrName: string): Promise<string | null> {
  const live = await state.listKeys();
  // An id wins over a name, as in the store, so a key named like another's id cannot shadow it.
  const target = live.find((k) => k.id === idOrName) ?? live.find((k) => k.name === idOrName);
  if (target === undefined) return null;
  return (await state.revokeKey(target.id)) ? target.id : null;
}

/** A `metadata.<k>=<v>` query parameter, or null when `name` is not one. */
function metadataParam(name: string): string | null {
  return name.startsWith('metadata.') ? name.slice('metadata.'.length) : null;
}

function addMetadataFilter(into: Record<string, string>, param: string, key: string, value: string): void {
  if (Object.hasOwn(into, key)) throw new InputError(param, 'is given more than once');
  into[key] = checkMetadataEntry(key, value, param);
}

/** Every parameter once, except the repeatable metadata ones. */
function single(params: URLSearchParams, name: string): void {
  if (params.getAll(name).length > 1) throw new InputError(name, 'is given more than once');
}

/** GET /keys query: `metadata.<k>=<v>` (repeatable, all must match) and `includeRevoked=true|false`. */
export function parseKeyFilter(params: URLSearchParams): KeyFilter {
  const metadata: Record<string, string> = {};
  let includeRevoked = false;
  for (const [name, value] of params) {
    const mk = metadataParam(name);
    if (mk !== null) { addMetadataFilter(metadata, name, mk, value); continue; }
    if (name !== 'includeRevoked') throw new InputError(name, 'is not a known parameter (expected metadata.<key>, includeRevoked)');
    single(params, name);
    if (value !== 'true' && value !== 'false') throw new InputError(name, 'must be true or false');
    includeRevoked = value === 'true';
  }
  return { metadata, includeRevoked };
}

const EPOCH_MS = /^\d{1,15}$/;
const ISO_TIME = /^\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})?)?$/;

/**
 * An instant given as epoch milliseconds or ISO 8601 (`2026-11-01`, `2026-11-01T12:00:00Z`).
 * A date alone, or a time without an offset, is UTC, so the answer does not depend on the
 * gateway's time zone.
 */
export function parseInstant(value: string, param: string): number {
  if (EPOCH_MS.test(value)) return Number(value);
  const m = ISO_TIME.exec(value);
  const ms = m === null ? NaN : Date.parse(value.includes('T') && m[1] === undefined ? `${value}Z` : value);
  if (Number.isNaN(ms)) throw new InputError(param, 'must be an ISO 8601 date or time (e.g. 2026-11-01 or 2026-11-01T12:00:00Z) or epoch milliseconds');
  return ms;
}

const USAGE_PARAMS = ['from', 'to', 'identity', 'model', 'groupBy', 'limit'] as const;
type UsageParam = (typeof USAGE_PARAMS)[number];
const isUsageParam = (name: string): name is UsageParam => (USAGE_PARAMS as readonly string[]).includes(name);

/** GET /usage query (also what `agentedge usage` builds from its flags). */
export function parseUsageQuery(params: URLSearchParams): UsageQuery {
  const metadata: Record<string, string> = {};
  const q: { -readonly [K in keyof UsageQuery]: UsageQuery[K] } = {};
  for (const [name, value] of params) {
    const mk = metadataParam(name);
    if (mk !== null) { addMetadataFilter(metadata, name, mk, value); continue; }
    if (!isUsageParam(name)) throw new InputError(name, `is not a known parameter (expected ${USAGE_PARAMS.join(', ')}, metadata.<key>)`);
    single(params, name);
    switch (name) {
      case 'from':
      case 'to':
        q[name] = parseInstant(value, name);
        break;
      case 'identity':
      case 'model':
        if (value.length === 0 || value.length > 1024) throw new InputError(name, 'must be 1 to 1024 characters');
        q[name] = value;
        break;
      case 'groupBy':
        if (value !== 'day' && value !== 'model' && value !== 'key') throw new InputError(name, 'must be day, model or key');
        q.groupBy = value;
        break;
      case 'limit': {
        const n = /^\d{1,6}$/.test(value) ? Number(value) : NaN;
        if (!(n >= 1 && n <= USAGE_MAX_LIMIT)) throw new InputError(name, `must be an integer from 1 to ${USAGE_MAX_LIMIT}`);
        q.limit = n;
        break;
      }
    }
  }
  if (q.from !== undefined && q.to !== undefined && q.from > q.to) throw new InputError('from', 'must not be after to');
  if (Object.keys(metadata).length > 0) q.metadata = metadata;
  return q;
}

/** Runs a usage query: entries (newest first, ISO times) or groups. */
export async function queryUsageView(state: StateStore, q: UsageQuery): Promise<UsageEntryView[] | UsageGroup[]> {
  const rows = await state.queryUsage(q);
  if (q.groupBy !== undefined) return rows as UsageGroup[];
  return (rows as UsageEntry[]).map((e) => ({ ...e, time: new Date(e.time).toISOString() }));
}

/**
 * Answers the state routes of the admin API, or null when the path and method are not
 * one of them. Called after the admin token check.
 */
export async function stateApi(host: StateApiHost, req: IncomingMessage, path: string, params: URLSearchParams): Promise<AdminAnswer | null> {
  const method = req.method ?? 'GET';
  try {
    if (path === '/keys' && method === 'POST') return await createKeyRoute(host, req);
    if (path === '/keys' && method === 'GET') {
      const keys = await host.state.listKeys(parseKeyFilter(params));
      return { status: 200, body: { keys: keys.map(keyView) } };
    }
    if (path.startsWith('/keys/') && method === 'DELETE') return await revokeKeyRoute(host, path.slice('/keys/'.length));
    if (path === '/usage' && method === 'GET') {
      return { status: 200, body: { usage: await queryUsageView(host.state, parseUsageQuery(params)) } };
    }
    return null;
  } catch (err) {
    if (err instanceof InputError) return new GatewayError('AE_BAD_REQUEST', { message: err.message, detail: err.message });
    if (err instanceof GatewayError) return err;
    throw err;
  }
}

async function createKeyRoute(host: StateApiHost, req: IncomingMessage): Promise<AdminAnswer> {
  const text = await readBody(req, KEY_LIMITS.bodyMaxBytes);
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new InputError('body', 'is not valid JSON');
  }
  const input = parseNewKey(body);
  try {
    return { status: 201, body: await createStoredKey(host.state, input) };
  } catch (err) {
    if (err instanceof StateConflictError) {
      return new GatewayError('AE_KEY_CONFLICT', { message: `A live API key named "${input.name}" already exists.`, detail: err.message });
    }
    throw err;
  }
}

async function revokeKeyRoute(host: StateApiHost, encoded: string): Promise<AdminAnswer> {
  let idOrName: string;
  try {
    idOrName = decodeURIComponent(encoded);
  } catch {
    throw new InputError('path', 'has a bad percent-encoding in the key id or name');
  }
  if (idOrName.length === 0) throw new InputError('path', 'must name a key: /keys/<id or name>');
  const id = await revokeStoredKey(host.state, idOrName);
  if (id === null) return new GatewayError('AE_KEY_NOT_FOUND');
  // The revoke takes effect here at once; other replicas see it when their cache expires.
  host.forgetKeys();
  return { status: 200, body: { revoked: true, id } };
}

/**
 * The request body as text, at most `limit` bytes. A larger chunked body is read to its
 * end and dropped (so the 413 reaches the client), never kept.
 */
export function readBody(req: IncomingMessage, limit: number): Promise<string> {
  const tooLargeError = () => new GatewayError('AE_BODY_TOO_LARGE', { message: `The request body is larger than ${limit} bytes.` });
  // Refused before reading; Node drains what the client still sends once the answer is written.
  if (Number(req.headers['content-length'] ?? 0) > limit) return Promise.reject(tooLargeError());
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) tooLarge = true;
      if (!tooLarge) chunks.push(chunk);
    });
    req.on('end', () => {
      if (tooLarge) reject(tooLargeError());
      else resolve(Buffer.concat(chunks).toString('utf8'));
    });
    req.on('error', reject);
  });
}
