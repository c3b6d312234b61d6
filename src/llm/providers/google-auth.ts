// OAuth2 access tokens for Google APIs (vertex), from the credentials file compiled at load:
// - service_account: an RS256-signed JWT (iss = client_email, scope cloud-platform, aud =
//   token_uri, at most one hour) exchanged with the JWT bearer grant (RFC 7523);
// - authorized_user (`gcloud auth application-default login`): the refresh_token grant.
// Tokens are cached per credentials until shortly before they expire, and concurrent calls
// share one fetch. The cache lives at module level, keyed by a hash of the credentials, so
// a config reload with the same credentials keeps using the token it already has.
// Nothing secret (the private key, client secret, refresh token, or a token) ever goes
// into an error message.
import { createHash, sign } from 'node:crypto';
import { request } from 'undici';
import { scrubSecrets } from '../../config/index.js';
import { type GoogleCredentials } from '../spec.js';
import { GatewayError, parseJson, UNTRUSTED_JSON } from '../../core/index.js';

export const CLOUD_PLATFORM_SCOPE = 'https://www.googleapis.com/auth/cloud-platform';

/** A token is renewed this long before it expires (less for tokens that live less than twice this). */
const REFRESH_MARGIN_MS = 5 * 60_000;
/** An old token is still used when its renewal failed if it has at least this long to live. */
const STILL_GOOD_MS = 30_000;
/** Lifetime of the signed assertion; Google refuses more than one hour. */
const ASSERTION_LIFETIME_S = 3600;
/** Bound on one token fetch, connection to last byte. */
const FETCH_TIMEOUT_MS = 10_000;
/** Largest token endpoint answer read. */
const MAX_ANSWER_BYTES = 64 * 1024;
/** Credentials whose tokens are kept; the least recently used is dropped beyond this. */
const MAX_ENTRIES = 256;

interface Entry {
  token: string | null;
  /** The token this one replaced (or that was forgotten): answers to calls made with it may still come. */
  previous: string | null;
  /** Epoch ms from which a new token is fetched (the expiry minus the margin). */
  renewAt: number;
  /** Epoch ms at which the token expires. */
  expiresAt: number;
  pending: Promise<string> | null;
}

const cache = new Map<string, Entry>();

/** Test hooks: how many tokens were fetched, and a way to start from nothing. */
export const googleAuthStats = { fetches: 0 };
export function clearGoogleTokenCache(): void { cache.clear(); }

/**
 * A valid access token for `credentials`, from the cache or the token endpoint. `signal`
 * only stops this caller's wait: the fetch itself is shared, so it runs on (bounded).
 * Throws a GatewayError (AE_UPSTREAM_UNAVAILABLE) when no token can be had.
 */
export async function googleAccessToken(credentials: GoogleCredentials, signal?: AbortSignal): Promise<string> {
  const key = cacheKey(credentials);
  let entry = cache.get(key);
  if (entry !== undefined) {
    // Re-inserted: Map order is the LRU order.
    cache.delete(key);
    cache.set(key, entry);
    if (entry.token !== null && Date.now() < entry.renewAt) return entry.token;
  } else {
    entry = { token: null, previous: null, renewAt: 0, expiresAt: 0, pending: null };
    cache.set(key, entry);
    if (cache.size > MAX_ENTRIES) cache.delete(cache.keys().next().value!);
  }
  let pending = entry.pending;
  if (pending === null) {
    const e = entry;
    pending = e.pending = fetchToken(credentials).then(({ token, expiresInS }) => {
      const lifetime = expiresInS * 1000;
      if (e.token !== null && e.token !== token) e.previous = e.token;
      e.token = token;
      e.expiresAt = Date.now() + lifetime;
      e.renewAt = e.expiresAt - Math.min(REFRESH_MARGIN_MS, lifetime / 2);
      return token;
    }, (err: unknown) => {
      // A failed early renewal keeps serving the old token while it is still good for a while.
      if (e.token !== null && Date.now() < e.expiresAt - STILL_GOOD_MS) return e.token;
      throw err;
    }).finally(() => { e.pending = null; });
    // Callers that stopped waiting (aborted) must not leave the rejection unhandled.
    pending.catch(() => undefined);
  }
  return abortable(pending, signal);
}

/**
 * Drops the cached token of `credentials` (not a fetch in progress), for a caller whose
 * upstream refused it (401: revoked or rotated) so the next call fetches a new one.
 */
export function forgetGoogleToken(credentials: GoogleCredentials): void {
  const entry = cache.get(cacheKey(credentials));
  if (entry !== undefined) {
    if (entry.token !== null) entry.previous = entry.token;
    entry.token = null; entry.renewAt = 0; entry.expiresAt = 0;
  }
}

/**
 * The access tokens of `credentials` that calls may have been sent with lately: the cached
 * one and the one it replaced. Never fetches. For masking them in what upstreams answer.
 */
export function googleTokensInUse(credentials: GoogleCredentials): string[] {
  const entry = cache.get(cacheKey(credentials));
  if (entry === undefined) return [];
  const out: string[] = [];
  if (entry.token !== null) out.push(entry.token);
  if (entry.previous !== null) out.push(entry.previous);
  return out;
}

/** The Authorization header for `credentials`. */
export async function googleAuthHeaders(credentials: GoogleCredentials, signal?: AbortSignal): Promise<Record<string, string>> {
  return { authorization: `Bearer ${await googleAccessToken(credentials, signal)}` };
}

/** Keys of credentials objects already hashed (the compiled config's objects live as long as it). */
const keys = new WeakMap<GoogleCredentials, string>();

function cacheKey(c: GoogleCredentials): string {
  let key = keys.get(c);
  if (key === undefined) { key = hashCredentials(c); keys.set(c, key); }
  return key;
}

function hashCredentials(c: GoogleCredentials): string {
  const h = createHash('sha256').update(c.type).update('\0').update(c.tokenUri).update('\0');
  if (c.type === 'service_account') h.update(c.clientEmail).update('\0').update(c.privateKey.reveal());
  else h.update(c.clientId).update('\0').update(c.clientSecret.reveal()).update('\0').update(c.refreshToken.reveal());
  return h.digest('hex');
}

function abortable<T>(p: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return p;
  if (signal.aborted) return Promise.reject(new GatewayError('AE_UPSTREAM_UNAVAILABLE', { detail: 'Google access token wait aborted' }));
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => { reject(new GatewayError('AE_UPSTREAM_UNAVAILABLE', { detail: 'Google access token wait aborted' })); };
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(resolve, reject).finally(() => { signal.removeEventListener('abort', onAbort); });
  });
}

const b64url = (v: string | Buffer): string => Buffer.from(v).toString('base64url');

/** The signed JWT a service account presents for a token. */
export function serviceAccountAssertion(c: Extract<GoogleCredentials, { type: 'service_account' }>, nowS = Math.floor(Date.now() / 1000)): string {
  const header: Record<string, string> = { alg: 'RS256', typ: 'JWT' };
  if (c.privateKeyId !== null) header.kid = c.privateKeyId;
  const claims = { iss: c.clientEmail, scope: CLOUD_PLATFORM_SCOPE, aud: c.tokenUri, iat: nowS, exp: nowS + ASSERTION_LIFETIME_S };
  const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
  return `${input}.${b64url(sign('sha256', Buffer.from(input), c.privateKey.reveal()))}`;
}

/** The token request's form body, and the secrets in it (kept out of any error text). */
function grant(c: GoogleCredentials): { body: string; secrets: string[] } {
  if (c.type === 'service_account') {
    const assertion = serviceAccountAssertion(c);
    const body = new URLSearchParams({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion }).toString();
    // The assertion buys tokens for an hour; its signature is the part that must not leak.
    return { body, secrets: [c.privateKey.reveal(), assertion, assertion.slice(assertion.lastIndexOf('.') + 1)] };
  }
  const body = new URLSearchParams({
    grant_type: 'refresh_token', client_id: c.clientId, client_secret: c.clientSecret.reveal(), refresh_token: c.refreshToken.reveal(),
  }).toString();
  return { body, secrets: [c.clientSecret.reveal(), c.refreshToken.reveal()] };
}

async function fetchToken(c: GoogleCredentials): Promise<{ token: string; expiresInS: number }> {
  googleAuthStats.fetches++;
  const where = `Google token endpoint ${safeUrl(c.tokenUri)}`;
  const { body, secrets } = grant(c);
  let status: number;
  let text: string;
  try {
    const res = await request(c.tokenUri, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body,
      headersTimeout: FETCH_TIMEOUT_MS,
      bodyTimeout: FETCH_TIMEOUT_MS,
      signal: AbortSignal.timeout(FETCH_TIMEOUT_MS),
    });
    status = res.statusCode;
    text = await readBounded(res.body);
  } catch (err) {
    // Only the error's name and code: nothing of the request (which holds the secrets).
    const e = err as { name?: string; code?: string };
    throw new GatewayError('AE_UPSTREAM_UNAVAILABLE', { detail: `${where} could not be reached (${e.code ?? e.name ?? 'error'})` });
  }
  let json: Record<string, unknown> = {};
  try {
    const parsed: unknown = parseJson(text, UNTRUSTED_JSON);
    if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) json = parsed as Record<string, unknown>;
  } catch { /* reported below */ }
  if (status !== 200) {
    // OAuth errors are {"error": "invalid_grant", "error_description": "…"}: the code is a
    // plain word, the description Google's own text; both are scrubbed of our secrets anyway.
    const code = typeof json.error === 'string' ? json.error : 'no OAuth error code';
    // Scrubbed before it is cut, so no partial secret survives the cut.
    const desc = typeof json.error_description === 'string' ? `: ${scrubSecrets(json.error_description, secrets).slice(0, 200)}` : '';
    throw new GatewayError('AE_UPSTREAM_UNAVAILABLE', { detail: scrubSecrets(`${where} answered ${status} (${code.slice(0, 64)}${desc})`, secrets) });
  }
  const token = json.access_token;
  const expiresIn = json.expires_in;
  if (typeof token !== 'string' || token === '') {
    throw new GatewayError('AE_UPSTREAM_UNAVAILABLE', { detail: `${where} answered without an access_token` });
  }
  // expires_in is a number of seconds (some servers send it as a string); Google's default is one hour.
  const seconds = typeof expiresIn === 'number' ? expiresIn : typeof expiresIn === 'string' ? Number(expiresIn) : 3600;
  return { token, expiresInS: Number.isFinite(seconds) && seconds > 0 ? seconds : 3600 };
}

async function readBounded(body: AsyncIterable<Buffer> & { destroy(): unknown }): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.length;
    if (size > MAX_ANSWER_BYTES) { body.destroy(); break; }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** The token URI without a query (which no sane token_uri has, but which would be logged). */
function safeUrl(uri: string): string {
  try { const u = new URL(uri); return `${u.origin}${u.pathname}`; } catch { return '(invalid URL)'; }
}
