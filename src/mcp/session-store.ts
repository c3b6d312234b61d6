// Client sessions shared between replicas (Redis + Postgres state): what another replica
// needs to continue a Streamable HTTP session it did not open, kept in the state store's
// shared key-value store (core's SharedKv) under `mcp-session:<backend>:<id>` for the
// backend's sessionTtl.
//
// - initialize writes the record (owner, negotiated revision, the client's capabilities and
//   info, log level, subscriptions) before it answers, so the session id the client gets is
//   already known to every replica;
// - a replica that holds the session refreshes the record at most every sessionTtl/4 while it
//   is used (one awaited round trip then, none on the other requests); the refresh only
//   extends a record that still exists, so it is also how a replica learns that the session
//   was deleted through another one: its local copy ends and the request gets 404. It reads
//   the record too: a log level or subscriptions changed through another replica are taken
//   into the local copy (and set on its upstream connections by the backend) rather than
//   overwritten — the record is written only by initialize and by those changes;
// - a request naming a session this replica does not hold reads the record; when it exists
//   and belongs to the caller, the session is rebuilt here (upstream connections are per
//   process and open on first use, so calls work at once);
// - DELETE removes the record. A session forgotten locally (unused for sessionTtl, the
//   maxSessions bound, a shutdown) is not deleted: another replica may still be using it,
//   and the record expires by its own TTL.
//
// What stays with one replica: the standalone GET stream and the requests a server sends the
// client during a call (sampling, elicitation, roots), whose answers must reach the replica
// that asked.
import type { SharedKv } from '../core/index.js';
import { isObject } from './jsonrpc.js';
import { Session } from './session.js';

/** The ids the gateway issues (session.ts): anything else is not looked up. */
const SESSION_ID = /^[0-9a-f]{32}$/;

/**
 * When each session's record was last written or refreshed by this process (by session, not
 * by backend: a reload hands the sessions to the backend's successor).
 */
const written = new WeakMap<Session, number>();

/** What a client sets on its session after initialize. */
export interface SessionSettings {
  readonly logLevel: string | null;
  readonly subscriptions: ReadonlySet<string>;
}

interface SessionRecord {
  readonly owner: string;
  readonly protocolVersion: string;
  readonly clientCapabilities: Record<string, unknown>;
  readonly clientInfo: Record<string, unknown> | null;
  readonly logLevel: string | null;
  readonly subscriptions: string[];
}

export class SharedSessions {
  readonly #kv: SharedKv;
  readonly #backend: string;
  readonly #ttlMs: number;
  readonly #onError: (err: unknown) => void;
  /** Lookups in flight: concurrent requests for one unknown id share one read and one Session. */
  readonly #loading = new Map<string, Promise<Session | null>>();

  readonly #onChange: (s: Session, before: SessionSettings) => Promise<void>;

  /**
   * `onChange`: a refresh found the log level or subscriptions changed through another
   * replica (`s` holds the new ones); the refresh ends when it has settled.
   */
  constructor(kv: SharedKv, backend: string, ttlMs: number, onError: (err: unknown) => void,
    onChange: (s: Session, before: SessionSettings) => Promise<void> = () => Promise.resolve()) {
    this.#kv = kv;
    this.#backend = backend;
    this.#ttlMs = ttlMs;
    this.#onError = onError;
    this.#onChange = onChange;
  }

  #key(id: string): string {
    return `mcp-session:${this.#backend}:${id}`;
  }

  /** Writes the session's record (initialize; a change of its log level or subscriptions). Never throws. */
  async save(s: Session): Promise<void> {
    try {
      await this.#kv.set(this.#key(s.id), encode(s), this.#ttlMs);
      written.set(s, Date.now());
    } catch (err) {
      // The session still works on this replica; another one will not find it.
      this.#onError(err);
    }
  }

  /** Whether the session's record is due for a refresh (this replica last wrote it sessionTtl/4 ago or more). */
  due(s: Session): boolean {
    return Date.now() - (written.get(s) ?? 0) >= this.#ttlMs / 4;
  }

  /**
   * Extends the record and takes in what another replica changed in it; false when it is
   * gone because the session was deleted through another replica. A record this replica
   * wrote sessionTtl ago or more may also have expired meanwhile (the session was kept here
   * by an open stream or a long call, with no request to refresh it): it is written again.
   * An unreachable store keeps the session (tried again sessionTtl/4 later).
   */
  async refresh(s: Session): Promise<boolean> {
    const now = Date.now();
    const before = written.get(s);
    written.set(s, now);
    try {
      const current = await this.#kv.touch(this.#key(s.id), this.#ttlMs);
      if (current !== null) {
        const record = decode(current);
        if (record !== null) await this.#merge(s, record);
        return true;
      }
      if (before === undefined || now - before < this.#ttlMs) return false;
      await this.#kv.set(this.#key(s.id), encode(s), this.#ttlMs);
      return true;
    } catch (err) {
      this.#onError(err);
      return true;
    }
  }

  /**
   * The session `id` of `owner` rebuilt from its record; null when there is none (unknown,
   * expired, deleted) or it belongs to someone else. Throws when the store cannot be read.
   */
  load(id: string, owner: string): Promise<Session | null> {
    if (!SESSION_ID.test(id)) return Promise.resolve(null);
    let loading = this.#loading.get(id);
    if (loading === undefined) {
      loading = this.#read(id).finally(() => this.#loading.delete(id));
      this.#loading.set(id, loading);
    }
    return loading.then((s) => (s !== null && s.owner === owner ? s : null));
  }

  async #read(id: string): Promise<Session | null> {
    const record = decode(await this.#kv.get(this.#key(id)));
    if (record === null) return null;
    const s = new Session(record.owner, 'streamable-http', id);
    s.protocolVersion = record.protocolVersion;
    s.clientCapabilities = record.clientCapabilities;
    s.clientInfo = record.clientInfo;
    s.logLevel = record.logLevel;
    for (const uri of record.subscriptions) s.subscriptions.add(uri);
    s.initialized = true;
    // Read is not refreshed: the first use here extends the record (as it would anywhere).
    return s;
  }

  /** The record's log level and subscriptions into the local copy, when another replica changed them. */
  async #merge(s: Session, record: SessionRecord): Promise<void> {
    const same = record.logLevel === s.logLevel && record.subscriptions.length === s.subscriptions.size && record.subscriptions.every((u) => s.subscriptions.has(u));
    if (same) return;
    const before = { logLevel: s.logLevel, subscriptions: new Set(s.subscriptions) };
    s.logLevel = record.logLevel;
    s.subscriptions.clear();
    for (const uri of record.subscriptions) s.subscriptions.add(uri);
    await this.#onChange(s, before);
  }

  /** Deletes the record (DELETE of the session). Never throws. */
  async remove(id: string): Promise<void> {
    try {
      await this.#kv.delete(this.#key(id));
    } catch (err) {
      this.#onError(err);
    }
  }
}

function encode(s: Session): string {
  const record: SessionRecord = {
    owner: s.owner,
    protocolVersion: s.protocolVersion ?? '',
    clientCapabilities: s.clientCapabilities,
    clientInfo: s.clientInfo,
    logLevel: s.logLevel,
    subscriptions: [...s.subscriptions],
  };
  return JSON.stringify(record);
}

/** A record as written by encode, or null (absent, or not one: it is then treated as unknown). */
function decode(text: string | null): SessionRecord | null {
  if (text === null) return null;
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return null;
  }
  if (!isObject(v) || typeof v.owner !== 'string' || typeof v.protocolVersion !== 'string' || v.protocolVersion === '') return null;
  if (!isObject(v.clientCapabilities) || !(v.clientInfo === null || isObject(v.clientInfo))) return null;
  if (!(v.logLevel === null || typeof v.logLevel === 'string') || !Array.isArray(v.subscriptions)) return null;
  return {
    owner: v.owner,
    protocolVersion: v.protocolVersion,
    clientCapabilities: v.clientCapabilities,
    clientInfo: v.clientInfo,
    logLevel: v.logLevel,
    subscriptions: v.subscriptions.filter((u): u is string => typeof u === 'string'),
  };
}
