// The jwt authenticator: a bearer JWT verified with jose against a JWKS (remote, file or
// inline), an algorithm allowlist of asymmetric algorithms only, the issuer, one of the
// audiences, exp/nbf with clock skew, and a `sub` (the identity's name). `exp` is required:
// a token that never expires is refused. A policy with `scopes` also requires each of them
// in the token's `scope` claim (RFC 8693 / RFC 9068: space-separated) or `scp` (a list, or a
// string, as some IdPs issue it); a valid token without them is "insufficient", which the
// authenticate filter answers with 403 `insufficient_scope` (RFC 6750 §3.1).
//
// Remote JWKS: jose's createRemoteJWKSet caches the set for `cacheMaxAgeMs`, and a token
// whose `kid` is not in it triggers one refetch, but not sooner than `cooldownMs` after the
// last successful fetch, so made-up kids cannot make us hammer the IdP. We add what jose
// leaves out:
//   - the fetch is ours (jose's customFetch): no redirects, the `timeoutMs` jose applies,
//     and a body of at most MAX_JWKS_BYTES (jose reads any size) that must be a JWKS;
//   - after a failed fetch, no new fetch for min(cooldownMs, 5 s): without it, every request
//     would start a fetch while the IdP is down (jose only rate-limits after successes);
//   - while fetches fail, the last good set keeps verifying (up to STALE_JWKS_MAX_AGE_MS
//     after it was fetched), so an IdP blip does not log everyone out. Without a good set,
//     the answer is "invalid" with the reason JWKS_UNAVAILABLE (see that constant).
//
// Reasons are short and fixed (REASONS); the token and its claims never appear in them.
import { readFileSync } from 'node:fs';
import {
  createLocalJWKSet, createRemoteJWKSet, customFetch, errors, jwtVerify,
  type FetchImplementation, type JSONWebKeySet, type JWTPayload, type JWTVerifyGetKey, type JWTVerifyOptions,
} from 'jose';
import type { RequestContext } from '../core/index.js';
import { bearerCredential, looksLikeJwt } from './credentials.js';
import type { Authenticator, AuthResult } from './types.js';

export interface JwtSpec {
  /** The policy's name in config. */
  readonly name: string;
  readonly issuer: string;
  /** The token's `aud` must name at least one of these. Must not be empty. */
  readonly audiences: readonly string[];
  /** Scopes the token must carry, all of them; absent or empty: none. */
  readonly scopes?: readonly string[];
  /** A JWKS URL (http/https), a JWKS file (read once, at creation; the caller resolves relative paths) or a JWKS object. */
  readonly jwks: { readonly url: string } | { readonly file: string } | { readonly inline: object };
  /** Allowed `alg` values: asymmetric only (never "none", never HS*). */
  readonly algorithms: readonly string[];
  readonly clockSkewSeconds: number;
  /** Remote JWKS: how long a fetched set is used before it is fetched again. */
  readonly cacheMaxAgeMs: number;
  /** Remote JWKS: least time between a successful fetch and a refetch for an unknown `kid`. */
  readonly cooldownMs: number;
  /** Remote JWKS: fetch timeout. */
  readonly timeoutMs: number;
}

/** The `algorithms` the lead passes by default. */
export const DEFAULT_JWT_ALGORITHMS: readonly string[] = Object.freeze(['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA']);
/** Every algorithm a policy may allow: signatures with a public key only. */
const ASYMMETRIC = new Set([...DEFAULT_JWT_ALGORITHMS, 'Ed25519']);

/** Longest bearer JWT accepted, in characters. */
export const MAX_TOKEN_LENGTH = 16 * 1024;
/** Largest JWKS accepted, from a URL or a file. */
export const MAX_JWKS_BYTES = 256 * 1024;
/** How long the last good remote set keeps verifying while fetches fail. */
export const STALE_JWKS_MAX_AGE_MS = 24 * 60 * 60 * 1000;
/** Upper bound on the pause after a failed fetch (the pause is min(cooldownMs, this)). */
const MAX_FAILURE_BACKOFF_MS = 5_000;

/**
 * The reason when the JWKS could not be fetched and no good set was at hand. It is the
 * gateway's failure, not the caller's: mapping it to 503 (retryable) rather than 401
 * keeps clients from throwing away good tokens and keeps an IdP outage out of the
 * "bad credentials" numbers. Either way the request is refused (fail closed).
 */
export const JWKS_UNAVAILABLE = 'JWKS unavailable';

/** Every `reason` this authenticator gives. */
export const REASONS = Object.freeze({
  tooLarge: 'token too large',
  malformed: 'malformed token',
  expired: 'expired',
  notYetValid: 'not yet valid',
  audience: 'wrong audience',
  issuer: 'wrong issuer',
  missingSub: 'missing sub',
  missingExp: 'missing exp',
  scope: 'insufficient scope',
  claims: 'invalid claims',
  signature: 'bad signature',
  unknownKey: 'unknown key',
  algorithm: 'algorithm not allowed',
  jwksUnavailable: JWKS_UNAVAILABLE,
  invalid: 'invalid token',
});

const CHALLENGE = 'Bearer realm="agentedge"';
const NONE: AuthResult = Object.freeze({ kind: 'none' });
const invalidResults = new Map<string, AuthResult>(Object.values(REASONS).map((r) => [r, Object.freeze({ kind: 'invalid', reason: r })]));
function invalid(reason: string): AuthResult {
  return invalidResults.get(reason) ?? { kind: 'invalid', reason };
}

/** Thrown by our JWKS fetch; says only what went wrong, for the log (`cause` has the detail). */
class JwksUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'JwksUnavailableError';
  }
}

function reasonOf(err: unknown): string {
  if (err instanceof JwksUnavailableError) return JWKS_UNAVAILABLE;
  if (!(err instanceof errors.JOSEError)) return REASONS.invalid;
  if (err instanceof errors.JWTClaimValidationFailed) {
    switch (err.claim) {
      case 'aud': return REASONS.audience;
      case 'iss': return REASONS.issuer;
      case 'nbf': return REASONS.notYetValid;
      case 'sub': return REASONS.missingSub;
      case 'exp': return err.reason === 'missing' ? REASONS.missingExp : REASONS.claims;
      default: return REASONS.claims;
    }
  }
  switch (err.code) {
    case 'ERR_JWT_EXPIRED': return REASONS.expired;
    case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED': return REASONS.signature;
    case 'ERR_JOSE_ALG_NOT_ALLOWED':
    case 'ERR_JOSE_NOT_SUPPORTED': return REASONS.algorithm;
    case 'ERR_JWKS_NO_MATCHING_KEY': return REASONS.unknownKey;
    case 'ERR_JWKS_TIMEOUT':
    case 'ERR_JWKS_INVALID': return JWKS_UNAVAILABLE;
    case 'ERR_JWS_INVALID':
    case 'ERR_JWT_INVALID': return REASONS.malformed;
    default: return REASONS.invalid;
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Parses and checks the shape jose's JWKS loader needs, so a bad body counts as a failed fetch. */
function parseJwks(text: string): JSONWebKeySet {
  const json: unknown = JSON.parse(text);
  if (!isObject(json) || !Array.isArray(json.keys) || !json.keys.every(isObject)) throw new TypeError('not a JWKS');
  return json as unknown as JSONWebKeySet;
}

async function readBounded(res: Response): Promise<string> {
  const declared = Number(res.headers.get('content-length') ?? '0');
  if (declared > MAX_JWKS_BYTES) throw new RangeError('JWKS too large');
  if (res.body === null) return '';
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > MAX_JWKS_BYTES) {
      await reader.cancel().catch(() => undefined);
      throw new RangeError('JWKS too large');
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

interface RemoteState {
  lastSuccessAt: number;
  failedAt: number;
}

function boundedFetch(state: RemoteState): FetchImplementation {
  return async function fetchJwks(url, init) {
    try {
      const res = await fetch(url, { ...init, redirect: 'manual' });
      if (res.status !== 200) {
        await res.body?.cancel().catch(() => undefined);
        throw new JwksUnavailableError(`JWKS answered ${res.status}`);
      }
      const text = await readBounded(res);
      parseJwks(text);
      state.lastSuccessAt = Date.now();
      return new Response(text, { status: 200, headers: { 'content-type': 'application/json' } });
    } catch (err) {
      state.failedAt = Date.now();
      throw err instanceof JwksUnavailableError ? err : new JwksUnavailableError('JWKS fetch failed', { cause: err });
    }
  };
}

function remoteKeys(url: URL, spec: JwtSpec): JWTVerifyGetKey {
  const state: RemoteState = { lastSuccessAt: 0, failedAt: -Infinity };
  const backoffMs = Math.min(spec.cooldownMs, MAX_FAILURE_BACKOFF_MS);
  const remote = createRemoteJWKSet(url, {
    timeoutDuration: spec.timeoutMs,
    cooldownDuration: spec.cooldownMs,
    cacheMaxAge: spec.cacheMaxAgeMs,
    [customFetch]: boundedFetch(state),
  });
  let stale: { at: number; keys: JWTVerifyGetKey } | null = null;
  const staleKeys = (): JWTVerifyGetKey | null => {
    if (state.lastSuccessAt === 0 || Date.now() - state.lastSuccessAt > STALE_JWKS_MAX_AGE_MS) return null;
    if (stale?.at !== state.lastSuccessAt) {
      const jwks = remote.jwks();
      if (jwks === undefined) return null;
      stale = { at: state.lastSuccessAt, keys: createLocalJWKSet(jwks) };
    }
    return stale.keys;
  };
  return async function jwksKey(header, token) {
    if (Date.now() < state.failedAt + backoffMs) {
      const keys = staleKeys();
      if (keys === null) throw new JwksUnavailableError('JWKS fetch backing off');
      return keys(header, token);
    }
    try {
      return await remote(header, token);
    } catch (err) {
      if (!(err instanceof JwksUnavailableError || err instanceof errors.JWKSTimeout)) throw err;
      const keys = staleKeys();
      if (keys === null) throw err;
      return keys(header, token);
    }
  };
}

function localKeys(spec: JwtSpec, source: { readonly file: string } | { readonly inline: object }): JWTVerifyGetKey {
  let jwks: JSONWebKeySet;
  if ('file' in source) {
    let text: string;
    try {
      const bytes = readFileSync(source.file);
      if (bytes.length > MAX_JWKS_BYTES) throw new RangeError(`larger than ${MAX_JWKS_BYTES} bytes`);
      text = bytes.toString('utf8');
    } catch (err) {
      const why = err instanceof RangeError ? err.message : (err as NodeJS.ErrnoException).code ?? 'unreadable';
      throw new Error(`policy ${spec.name}: cannot read the JWKS file ${source.file}: ${why}`, { cause: err });
    }
    try {
      jwks = parseJwks(text);
    } catch (err) {
      throw new Error(`policy ${spec.name}: the JWKS file ${source.file} is not a JSON Web Key Set`, { cause: err });
    }
  } else {
    jwks = source.inline as JSONWebKeySet;
  }
  try {
    return createLocalJWKSet(jwks);
  } catch (err) {
    throw new Error(`policy ${spec.name}: the JWKS is not a JSON Web Key Set`, { cause: err });
  }
}

function checkSpec(spec: JwtSpec): void {
  const fail = (what: string): never => { throw new TypeError(`policy ${spec.name}: ${what}`); };
  if (spec.issuer.length === 0) fail('issuer must not be empty');
  if (spec.audiences.length === 0) fail('audiences must not be empty (a token for another audience must be refused)');
  if (spec.algorithms.length === 0) fail('algorithms must not be empty');
  for (const alg of spec.algorithms) {
    if (!ASYMMETRIC.has(alg)) fail(`algorithm ${JSON.stringify(alg)} is not allowed (asymmetric algorithms only: ${[...ASYMMETRIC].join(', ')})`);
  }
  if (!(spec.clockSkewSeconds >= 0)) fail('clockSkewSeconds must be >= 0');
  if (!(spec.cacheMaxAgeMs >= 0)) fail('cacheMaxAgeMs must be >= 0');
  if (!(spec.cooldownMs >= 0)) fail('cooldownMs must be >= 0');
  if (!(Number.isInteger(spec.timeoutMs) && spec.timeoutMs > 0)) fail('timeoutMs must be a positive integer');
}

/** Tries each key when a set has several that match the header (no `kid`, or a repeated one). */
async function verifyWithAny(token: string, err: errors.JWKSMultipleMatchingKeys, options: JWTVerifyOptions): Promise<JWTPayload> {
  for await (const key of err) {
    try {
      return (await jwtVerify(token, key, options)).payload;
    } catch (e) {
      // A claim error means the signature held: that is the answer.
      if (!(e instanceof errors.JWSSignatureVerificationFailed)) throw e;
    }
  }
  throw new errors.JWSSignatureVerificationFailed();
}

/** Compiles one jwt policy. Throws on a bad spec (empty audiences, a symmetric or unknown algorithm, an unreadable JWKS). */
export function createJwtAuthenticator(spec: JwtSpec): Authenticator {
  checkSpec(spec);
  const policy = spec.name;
  let getKey: JWTVerifyGetKey;
  if ('url' in spec.jwks) {
    let url: URL;
    try {
      url = new URL(spec.jwks.url);
    } catch {
      // No cause: URL's message repeats the input, which may carry credentials.
      throw new TypeError(`policy ${policy}: jwks url is not a URL`);
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new TypeError(`policy ${policy}: jwks url must be http or https`);
    getKey = remoteKeys(url, spec);
  } else {
    getKey = localKeys(spec, spec.jwks);
  }
  const options: JWTVerifyOptions = {
    issuer: spec.issuer,
    audience: [...spec.audiences],
    algorithms: [...spec.algorithms],
    clockTolerance: spec.clockSkewSeconds,
    requiredClaims: ['sub', 'exp'],
  };

  const scopes = spec.scopes ?? [];
  const verify = async (token: string): Promise<AuthResult> => {
    let payload: JWTPayload;
    try {
      try {
        payload = (await jwtVerify(token, getKey, options)).payload;
      } catch (err) {
        if (!(err instanceof errors.JWKSMultipleMatchingKeys)) throw err;
        payload = await verifyWithAny(token, err, options);
      }
    } catch (err) {
      return invalid(reasonOf(err));
    }
    const sub = payload.sub;
    if (typeof sub !== 'string' || sub.length === 0) return invalid(REASONS.missingSub);
    if (scopes.length > 0) {
      const granted = grantedScopes(payload);
      if (!scopes.every((s) => granted.has(s))) return { kind: 'insufficient', reason: REASONS.scope, scopes };
    }
    return { kind: 'ok', identity: Object.freeze({ kind: 'jwt', name: sub, metadata: Object.freeze({}), claims: Object.freeze(payload), policy }) };
  };

  return {
    kind: 'jwt',
    name: policy,
    challenge: CHALLENGE,
    issuer: spec.issuer,
    scopes,
    authenticate(ctx: RequestContext): AuthResult | Promise<AuthResult> {
      const presented = bearerCredential(ctx.req.headers, Number.MAX_SAFE_INTEGER);
      if (presented.kind === 'none') return NONE;
      if (presented.kind === 'malformed') return invalid(REASONS.malformed);
      if (presented.value.length > MAX_TOKEN_LENGTH) return invalid(REASONS.tooLarge);
      // A bearer value that is not JWT-shaped is some other credential (an API key).
      if (!looksLikeJwt(presented.value)) return NONE;
      return verify(presented.value);
    },
  };
}

/** The scopes a token grants: `scope` (space-separated) and `scp` (a list, or space-separated). */
function grantedScopes(payload: JWTPayload): Set<string> {
  const out = new Set<string>();
  const add = (v: unknown): void => {
    if (typeof v === 'string') for (const s of v.split(' ')) { if (s !== '') out.add(s); }
    else if (Array.isArray(v)) for (const s of v) { if (typeof s === 'string') out.add(s); }
  };
  add(payload.scope);
  add(payload.scp);
  return out;
}
