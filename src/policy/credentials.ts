// Finding the credential a request presents. API keys come from `Authorization: Bearer`,
// then `x-api-key`, then `api-key` (DESIGN §2); a JWT only from `Authorization: Bearer`.
// `presentedCredential` gives the first of those headers that is present. The apiKey
// policy tries each present header in that order (`presentedCredentials`): a client of a
// `passthrough` model sends its provider key in one header and the gateway key in another,
// and the header that matched is the one never forwarded. Every value is checked in full;
// trying a second header grants nothing a request could not get by sending only that one.
// An `Authorization` header with another scheme (Basic, ...) is not a key presentation and
// is skipped; a header whose value is empty after trimming counts as absent.
//
// A well-formed credential is 1 to 4096 visible ASCII characters (0x21-0x7e): no
// whitespace inside, no control or non-ASCII bytes. Node joins a repeated `x-api-key` with
// ", ", so sending two keys is malformed rather than "whichever came first".
import type { IncomingHttpHeaders } from 'node:http';

/** Longest API key (or bearer value) accepted, in characters. */
export const MAX_KEY_LENGTH = 4096;

/** What one request presents: nothing, a well-formed value, or a malformed one (the header says where). */
export type PresentedCredential =
  | { readonly kind: 'none' }
  | { readonly kind: 'value'; readonly value: string; readonly header: string }
  | { readonly kind: 'malformed'; readonly header: string };

const NONE: PresentedCredential = Object.freeze({ kind: 'none' });
/** Every header a credential may come in. */
const CREDENTIAL_HEADERS = ['authorization', 'x-api-key', 'api-key'] as const;
const WELL_FORMED = /^[\x21-\x7e]+$/;
const BEARER = /^bearer(?:[ \t]+|$)/i;
/** Three base64url segments; the header is a JSON object, so its encoding starts with "e" ("{"). */
const JWT_SHAPE = /^e[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

function headerValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name];
  // Node gives string[] only for set-cookie; be total anyway.
  return typeof v === 'string' ? v : Array.isArray(v) ? v.join(', ') : undefined;
}

function classify(raw: string, header: string, maxLength: number): PresentedCredential {
  const value = raw.trim();
  if (value.length === 0 || value.length > maxLength || !WELL_FORMED.test(value)) return { kind: 'malformed', header };
  return { kind: 'value', value, header };
}

/**
 * The bearer credential in `Authorization`, or none when the header is absent, empty or
 * of another scheme. `Bearer` with nothing after it is malformed.
 */
export function bearerCredential(headers: IncomingHttpHeaders, maxLength = MAX_KEY_LENGTH): PresentedCredential {
  const auth = headerValue(headers, 'authorization');
  if (auth === undefined) return NONE;
  const trimmed = auth.trim();
  if (trimmed.length === 0) return NONE;
  const m = BEARER.exec(trimmed);
  if (m === null) return NONE;
  return classify(trimmed.slice(m[0].length), 'authorization', maxLength);
}

/** The API key a request presents, with where it came from; see the module comment for the rules. */
export function presentedCredential(headers: IncomingHttpHeaders): PresentedCredential {
  const bearer = bearerCredential(headers);
  if (bearer.kind !== 'none') return bearer;
  for (const name of ['x-api-key', 'api-key']) {
    const v = headerValue(headers, name);
    if (v === undefined || v.trim().length === 0) continue;
    return classify(v, name, MAX_KEY_LENGTH);
  }
  return NONE;
}

/**
 * Every credential the request presents, in the order of `presentedCredential` (at most
 * one per header). A client of a `passthrough` model may send its provider key in one
 * header and the gateway key in another: the apiKey policy tries each.
 */
export function presentedCredentials(headers: IncomingHttpHeaders): PresentedCredential[] {
  const out: PresentedCredential[] = [];
  const bearer = bearerCredential(headers);
  if (bearer.kind !== 'none') out.push(bearer);
  for (const name of ['x-api-key', 'api-key']) {
    const v = headerValue(headers, name);
    if (v === undefined || v.trim().length === 0) continue;
    out.push(classify(v, name, MAX_KEY_LENGTH));
  }
  return out;
}

/** The headers a credential is read from, each alone (what `headersCarrying` usually answers). */
const ONLY: Readonly<Record<string, readonly string[]>> = Object.freeze({
  authorization: Object.freeze(['authorization']),
  'x-api-key': Object.freeze(['x-api-key']),
  'api-key': Object.freeze(['api-key']),
});

/**
 * The credential headers that carry the credential read from `header`: that header, and
 * any other of `Authorization: Bearer`, `x-api-key` and `api-key` with the same value
 * (some clients send a key in two of them). These are the gateway's own credential and
 * never go upstream. A header with another value took no part in authenticating the caller.
 */
export function headersCarrying(headers: IncomingHttpHeaders, header: string): readonly string[] {
  let present = 0;
  for (const name of CREDENTIAL_HEADERS) if (headers[name] !== undefined) present++;
  const alone = ONLY[header] ?? [header];
  if (present < 2) return alone;
  const all = presentedCredentials(headers);
  const used = all.find((c) => c.kind === 'value' && c.header === header);
  if (used === undefined || used.kind !== 'value') return alone;
  const out: string[] = [];
  for (const c of all) if (c.kind === 'value' && c.value === used.value) out.push(c.header);
  return out;
}

/**
 * The API key a request presents, or null when it presents none or a malformed one. Use
 * `presentedCredential` to tell those two apart (the apiKey authenticator answers
 * "invalid" for a malformed key).
 */
export function presentedKey(headers: IncomingHttpHeaders): string | null {
  const c = presentedCredential(headers);
  return c.kind === 'value' ? c.value : null;
}

/** The `Authorization: Bearer` value (up to `maxLength` characters), or null when absent or malformed. */
export function bearerToken(headers: IncomingHttpHeaders, maxLength = MAX_KEY_LENGTH): string | null {
  const c = bearerCredential(headers, maxLength);
  return c.kind === 'value' ? c.value : null;
}

/**
 * True when `s` has the shape of a compact JWS: three base64url segments, the first one a
 * JSON object's encoding. Shape only, nothing decoded: cheap enough to decide per request
 * whether a bearer value is for the jwt or the apiKey policy. The signature segment may
 * be empty, so an unsigned (`alg: none`) token still counts as a JWT and is refused as one.
 */
export function looksLikeJwt(s: string): boolean {
  return JWT_SHAPE.test(s);
}
