// The apiKey authenticator. Keys from config are hashed (SHA-256) once, at creation; a
// request's key is hashed once and looked up by its hash, then the two digests are compared
// in constant time, so no comparison ever runs over the secret itself. Keys created at
// runtime live in the state store, which keeps only hashes; their lookups are cached per
// process for a short time (5 s when found, 1 s when not), so the hot path answers
// synchronously from memory, and the price is that a key revoked on another replica keeps
// working here for up to 5 s. `forget` drops cached entries at once (a revoke in this
// process). A config key with the same hash as a stored key wins.
//
// The authenticator treats any presented key as a candidate; telling a JWT in
// `Authorization: Bearer` from an API key is the combining filter's job (looksLikeJwt).
import { createHash, hash as oneShotHash, randomBytes } from 'node:crypto';
import type { Identity, RequestContext } from '../core/index.js';
import type { StoredKey } from '../state/types.js';
import { MAX_KEY_LENGTH, presentedCredentials, type PresentedCredential } from './credentials.js';
import type { Authenticator, AuthResult } from './types.js';

export interface ApiKeySpec {
  /** The policy's name in config. */
  readonly name: string;
  readonly keys: readonly { readonly name: string; readonly key: string; readonly metadata: Readonly<Record<string, string>> }[];
  /** Also accept keys from the state store (created with the admin API or CLI). */
  readonly stored: boolean;
}

/** The state store's findKeyByHash; null when stored keys are off. */
export type KeyLookup = (hash: string) => StoredKey | null | Promise<StoredKey | null>;

export interface ApiKeyAuthenticator extends Authenticator {
  readonly kind: 'apiKey';
  /** Drops the cached lookup of one key hash, or of all keys; the next request asks the store again. */
  forget(hash?: string): void;
}

/** The `reason` when the key store could not answer (the lead may map it to 503, not 401). */
export const KEY_STORE_UNAVAILABLE = 'key store unavailable';

/** Cache lifetimes and size of stored-key lookups. */
export const STORED_KEY_CACHE = Object.freeze({ positiveTtlMs: 5_000, negativeTtlMs: 1_000, maxEntries: 10_000 });

const CHALLENGE = 'Bearer realm="agentedge"';
const NONE: AuthResult = Object.freeze({ kind: 'none' });
const MALFORMED: AuthResult = Object.freeze({ kind: 'invalid', reason: 'malformed key' });
const UNKNOWN: AuthResult = Object.freeze({ kind: 'invalid', reason: 'unknown key' });
const STORE_DOWN: AuthResult = Object.freeze({ kind: 'invalid', reason: KEY_STORE_UNAVAILABLE });
const WELL_FORMED = /^[\x21-\x7e]+$/;

/** Lower-case hex SHA-256 of a key: what the state store keeps. */
export function hashKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/**
 * A new random API key: `ae-` and 32 random bytes in base64url (46 characters). Only
 * `hash` is to be stored; `key` is shown to its owner once; `prefix` and `id` are safe to show.
 */
export function generateApiKey(): { key: string; prefix: string; hash: string; id: string } {
  const key = `ae-${randomBytes(32).toString('base64url')}`;
  return { key, prefix: key.slice(0, 10), hash: hashKey(key), id: `key_${randomBytes(12).toString('hex')}` };
}

interface ConfigKey {
  /** Lower-case hex SHA-256 of the key. */
  readonly digest: string;
  readonly result: AuthResult;
}

interface Cached {
  readonly result: AuthResult;
  readonly expiresAt: number;
}

/**
 * Bounded map of lookups with a time to live. Insertion order doubles as age order, so the
 * oldest entry is evicted first when full; expired entries go when they are read.
 */
class TtlCache {
  readonly #entries = new Map<string, Cached>();
  readonly #ttlMs: number;
  readonly #max: number;
  constructor(ttlMs: number, max: number) {
    this.#ttlMs = ttlMs;
    this.#max = max;
  }

  get(hash: string, now: number): AuthResult | undefined {
    const e = this.#entries.get(hash);
    if (e === undefined) return undefined;
    if (e.expiresAt > now) return e.result;
    this.#entries.delete(hash);
    return undefined;
  }

  set(hash: string, result: AuthResult, now: number): void {
    this.#entries.delete(hash);
    if (this.#entries.size >= this.#max) {
      const oldest = this.#entries.keys().next();
      if (oldest.done !== true) this.#entries.delete(oldest.value);
    }
    this.#entries.set(hash, { result, expiresAt: now + this.#ttlMs });
  }

  delete(hash: string): void { this.#entries.delete(hash); }
  clear(): void { this.#entries.clear(); }
}

function okResult(identity: Identity): AuthResult {
  return Object.freeze({ kind: 'ok', identity: Object.freeze(identity) });
}

function isPromise<T>(v: T | Promise<T>): v is Promise<T> {
  return typeof (v as { then?: unknown } | null)?.then === 'function';
}

/**
 * Compiles one apiKey policy. Throws (naming the key, never its value) when a config key
 * could never be presented (empty, whitespace, over 4096 characters) or when two config
 * keys have the same value.
 */
export function createApiKeyAuthenticator(spec: ApiKeySpec, lookup: KeyLookup | null): ApiKeyAuthenticator {
  const policy = spec.name;
  const configKeys = new Map<string, ConfigKey>();
  for (const k of spec.keys) {
    if (k.key.length === 0 || k.key.length > MAX_KEY_LENGTH || !WELL_FORMED.test(k.key)) {
      throw new TypeError(`policy ${policy}: key "${k.name}" must be 1 to ${MAX_KEY_LENGTH} visible ASCII characters`);
    }
    const hex = hashKey(k.key);
    const twin = configKeys.get(hex);
    if (twin !== undefined) {
      const other = twin.result.kind === 'ok' ? twin.result.identity.name : '?';
      throw new TypeError(`policy ${policy}: keys "${other}" and "${k.name}" have the same value`);
    }
    configKeys.set(hex, {
      digest: hex,
      result: okResult({ kind: 'apiKey', name: k.name, metadata: Object.freeze({ ...k.metadata }), claims: null, policy }),
    });
  }

  const store = spec.stored ? lookup : null;
  const found = new TtlCache(STORED_KEY_CACHE.positiveTtlMs, STORED_KEY_CACHE.maxEntries);
  // A separate map, so a flood of made-up keys cannot evict the keys that work.
  const missing = new TtlCache(STORED_KEY_CACHE.negativeTtlMs, STORED_KEY_CACHE.maxEntries);
  // Concurrent requests with the same uncached key share one store lookup.
  const inFlight = new Map<string, Promise<AuthResult>>();
  // Bumped by forget(): a lookup that started before it must not refill the cache.
  let generation = 0;

  const fromStored = (stored: StoredKey | null): AuthResult => stored === null || stored.revokedAt !== null
    ? UNKNOWN
    : okResult({ kind: 'apiKey', name: stored.name, metadata: Object.freeze({ ...stored.metadata }), claims: null, policy });

  const remember = (hash: string, result: AuthResult, startedIn: number): AuthResult => {
    if (startedIn === generation) (result.kind === 'ok' ? found : missing).set(hash, result, Date.now());
    return result;
  };

  const lookUpStored = (find: KeyLookup, hash: string): AuthResult | Promise<AuthResult> => {
    const pending = inFlight.get(hash);
    if (pending !== undefined) return pending;
    const startedIn = generation;
    let answer: StoredKey | null | Promise<StoredKey | null>;
    try {
      answer = find(hash);
    } catch {
      return STORE_DOWN;
    }
    if (!isPromise(answer)) return remember(hash, fromStored(answer), startedIn);
    const p = answer.then(
      (stored) => remember(hash, fromStored(stored), startedIn),
      () => STORE_DOWN,
    ).finally(() => { if (inFlight.get(hash) === p) inFlight.delete(hash); });
    inFlight.set(hash, p);
    return p;
  };

  return {
    kind: 'apiKey',
    name: policy,
    challenge: CHALLENGE,
    authenticate(ctx: RequestContext): AuthResult | Promise<AuthResult> {
      const presented = presentedCredentials(ctx.req.headers);
      if (presented.length === 0) return NONE;
      return firstOk(presented, 0, null);
    },
    forget(hash?: string): void {
      generation++;
      if (hash === undefined) {
        found.clear();
        missing.clear();
        inFlight.clear();
      } else {
        const h = hash.toLowerCase();
        found.delete(h);
        missing.delete(h);
        inFlight.delete(h);
      }
    },
  };

  /** Tries the presented credentials in order; the first accepted wins, else the first failure is the answer. */
  function firstOk(presented: readonly PresentedCredential[], from: number, failure: AuthResult | null): AuthResult | Promise<AuthResult> {
    for (let i = from; i < presented.length; i++) {
      const c = presented[i]!;
      const r = check(c);
      if (r instanceof Promise) return r.then((res) => (res.kind === 'ok' ? fromHeader(res, c) : firstOk(presented, i + 1, failure ?? res)));
      if (r.kind === 'ok') return fromHeader(r, c);
      failure ??= r;
    }
    return failure ?? NONE;
  }

  function check(presented: PresentedCredential): AuthResult | Promise<AuthResult> {
      if (presented.kind === 'none') return NONE;
      if (presented.kind === 'malformed') return MALFORMED;
      // One-shot hash straight to hex: a third of createHash().update().digest(), and a
      // third of hashing to a Buffer first.
      const hash = oneShotHash('sha256', presented.value, 'hex');
      const configured = configKeys.get(hash);
      if (configured !== undefined) return sameDigest(hash, configured.digest) ? configured.result : UNKNOWN;
      if (store === null) return UNKNOWN;
      const now = Date.now();
      return found.get(hash, now) ?? missing.get(hash, now) ?? lookUpStored(store, hash);
  }
}

/**
 * Constant-time equality of two hex digests: what timingSafeEqual does, without turning
 * each into a Buffer per request.
 */
function sameDigest(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

/** An accepted result that names the header its key came in (Authorization needs no mark: it is the default). */
function fromHeader(r: AuthResult, c: PresentedCredential): AuthResult {
  if (r.kind !== 'ok' || c.kind !== 'value' || c.header === 'authorization') return r;
  return { kind: 'ok', identity: r.identity, header: c.header };
}
