// Path normalisation, done once before routing, so the route match, every policy and the
// upstream all see the same path (RELIABILITY 9). Percent-encoded unreserved characters
// are decoded ("%7E" → "~", "%2e" → "."), "." and ".." segments are resolved and
// repeated slashes collapse. An encoded slash ("%2F") or any other reserved byte stays
// encoded, so it can never become a segment boundary. A ".." above the root, a NUL,
// a backslash or a malformed escape is refused.

export interface NormalizedTarget {
  /** Normalised path, always starting with "/". */
  path: string;
  /** Query string including "?", or "". Passed upstream untouched. */
  query: string;
}

const UNRESERVED = /[A-Za-z0-9\-._~]/;

export function normalizeTarget(url: string | undefined): NormalizedTarget | null {
  if (!url || url.charCodeAt(0) !== 47 /* / */) return null;
  const q = url.indexOf('?');
  const rawPath = q === -1 ? url : url.slice(0, q);
  const query = q === -1 ? '' : url.slice(q);
  // Fast path: nothing to decode or resolve. Control bytes are looked for on purpose.
  /* eslint-disable no-control-regex */
  if (!/%|\/\/|\/\.|\\|[\x00-\x20\x7f]/.test(rawPath)) return { path: rawPath, query };
  if (/\\|[\x00-\x20\x7f]/.test(rawPath)) return null;
  /* eslint-enable no-control-regex */

  let decoded = '';
  for (let i = 0; i < rawPath.length; i++) {
    const ch = rawPath[i]!;
    if (ch !== '%') { decoded += ch; continue; }
    const hex = rawPath.slice(i + 1, i + 3);
    if (!/^[0-9A-Fa-f]{2}$/.test(hex)) return null;
    const c = String.fromCharCode(parseInt(hex, 16));
    if (c === '\0') return null;
    decoded += UNRESERVED.test(c) ? c : `%${hex.toUpperCase()}`;
    i += 2;
  }

  const out: string[] = [];
  const segments = decoded.split('/');
  for (let i = 1; i < segments.length; i++) {
    const seg = segments[i]!;
    const last = i === segments.length - 1;
    if (seg === '' && !last) continue;
    if (seg === '.') { if (last) out.push(''); continue; }
    if (seg === '..') {
      if (out.length === 0) return null;
      out.pop();
      if (last) out.push('');
      continue;
    }
    out.push(seg);
  }
  return { path: '/' + out.join('/'), query };
}
