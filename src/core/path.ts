// Path normalisation, done once before routing, so the route match, every policy and the
// upstream all see the same path (RELIABILITY 9). Percent-encoded unreserved characters
// are decoded ("%7E" → "~", "%2e" → "."), "." and ".." segments are resolved and
// repeated slashes collapse. An encoded slash ("%2F") or any other reserved byte stays
// encoded (hex upper-cased), so it can never become a segment boundary. A ".." above
// the root, a NUL (raw or encoded), a backslash, a control byte, a fragment ("#") or a
// malformed escape is refused. The query is passed upstream untouched.
// Most paths need none of this: one scan of char codes decides, and only paths with
// "%", "//" or a dot segment take the slow path.

export interface NormalizedTarget {
  /** Normalised path, always starting with "/". */
  path: string;
  /** Query string including "?", or "". Passed upstream untouched. */
  query: string;
}

const SLASH = 47;
const DOT = 46;
const PERCENT = 37;
const HASH = 35;
const BACKSLASH = 92;

export function normalizeTarget(url: string | undefined): NormalizedTarget | null {
  if (url === undefined || url.charCodeAt(0) !== SLASH) return null;
  const q = url.indexOf('?');
  const end = q === -1 ? url.length : q;
  let simple = true;
  for (let i = 0; i < end; i++) {
    const c = url.charCodeAt(i);
    if (c <= 32 || c >= 127 || c === HASH || c === BACKSLASH) return null;
    if (c === PERCENT) simple = false;
    else if (c === SLASH) {
      const n = url.charCodeAt(i + 1);
      if (n === SLASH) simple = false;
      else if (n === DOT) {
        // "/." starts a dot segment only when followed by "/", "." or the end.
        const n2 = i + 2 < end ? url.charCodeAt(i + 2) : SLASH;
        if (n2 === SLASH || n2 === DOT) simple = false;
      }
    }
  }
  // A fragment is never part of a request target; llhttp passes it on inside the URL.
  if (q !== -1 && url.indexOf('#', q) !== -1) return null;
  const query = q === -1 ? '' : url.slice(q);
  if (simple) return { path: q === -1 ? url : url.slice(0, q), query };
  const path = resolvePath(url, end);
  return path === null ? null : { path, query };
}

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  const l = c | 0x20;
  return l >= 97 && l <= 102 ? l - 87 : -1;
}

function unreserved(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 45 || c === 46 || c === 95 || c === 126;
}

const HEX = '0123456789ABCDEF';

/** Decodes unreserved escapes and resolves segments of url[0, end). */
function resolvePath(url: string, end: number): string | null {
  const out: string[] = [];
  let seg = '';
  for (let i = 1; i <= end; i++) {
    const c = i < end ? url.charCodeAt(i) : SLASH;
    if (c === SLASH) {
      const last = i === end;
      if (seg === '..') {
        if (out.length === 0) return null;
        out.pop();
        if (last) out.push('');
      } else if (seg === '.' || seg === '') {
        if (last) out.push('');
      } else {
        out.push(seg);
      }
      seg = '';
    } else if (c === PERCENT) {
      const h = hexValue(url.charCodeAt(i + 1));
      const l = i + 2 < end ? hexValue(url.charCodeAt(i + 2)) : -1;
      if (h < 0 || l < 0) return null;
      const byte = h * 16 + l;
      if (byte === 0) return null;
      seg += unreserved(byte) ? String.fromCharCode(byte) : `%${HEX[h]}${HEX[l]}`;
      i += 2;
    } else {
      seg += url[i];
    }
  }
  return '/' + out.join('/');
}

/** The path under a route prefix, with a leading and without a trailing slash (what a backend serves there). */
export function subPath(path: string, prefix: string | null): string {
  let sub = prefix ? path.slice(prefix.length) : path;
  if (sub.length > 1 && sub.endsWith('/')) sub = sub.slice(0, -1);
  return sub.startsWith('/') ? sub : '/' + sub;
}
