// Secret values that cannot leak by accident. A `Secret` prints, JSON-encodes and inspects
// as "[redacted]"; code that needs the value calls reveal(), which is easy to grep for.
// scrubSecrets() is the one place that removes known secret values from free text (log
// lines, config errors, the effective config, upstream error messages), in the forms they
// are usually re-encoded in (secretForms).
import { inspect } from 'node:util';

const REDACTED = '[redacted]';

/**
 * Values shorter than this are never scrubbed: replacing "1" or "on" everywhere would
 * mangle every message while protecting nothing that deserves the name secret.
 */
export const MIN_SECRET_LENGTH = 4;

export class Secret {
  readonly #value: string;
  constructor(value: string) { this.#value = value; }
  reveal(): string { return this.#value; }
  toString(): string { return REDACTED; }
  toJSON(): string { return REDACTED; }
  [inspect.custom](): string { return REDACTED; }
}

/**
 * Replaces every occurrence of a secret in a string, in each of its `secretForms`. The forms
 * of all the secrets go longest first, so a form that contains another (of the same secret
 * or of another one) is replaced whole.
 */
export function scrubSecrets(text: string, secrets: Iterable<string>): string {
  const forms: string[] = [];
  for (const s of secrets) if (s.length >= MIN_SECRET_LENGTH) forms.push(...secretForms(s));
  if (forms.length === 0) return text;
  forms.sort((a, b) => b.length - a.length);
  let out = text;
  for (const form of forms) if (out.includes(form)) out = out.split(form).join(REDACTED);
  return out;
}

// The logger scrubs every line, so the encoded forms are computed once per secret.
const formsCache = new Map<string, readonly string[]>();

/**
 * The forms a secret is commonly found in: raw, URL-encoded, JSON-escaped (a secret with a
 * quote or a backslash), its base64 and base64url encodings, and the part of its base64 and
 * base64url that does not depend on what surrounds it when it is encoded inside a longer
 * value (`base64("Bearer " + key)`, `base64("user:" + key)`, a JSON blob): base64 works in
 * 3-byte groups, so a secret starting at any byte offset is encoded in one of three ways,
 * and each one keeps its middle characters whatever the bytes around it are. Longest first,
 * at most 12 forms per secret, computed once per secret.
 */
export function secretForms(s: string): readonly string[] {
  let forms = formsCache.get(s);
  if (forms === undefined) {
    const bytes = Buffer.from(s);
    const b64 = bytes.toString('base64');
    const all = new Set([s, encodeURIComponent(s), JSON.stringify(s).slice(1, -1), b64, b64.replace(/=+$/, ''), bytes.toString('base64url')]);
    for (let shift = 0; shift < 3; shift++) {
      for (const encoding of ['base64', 'base64url'] as const) all.add(embeddedBase64(bytes, shift, encoding));
    }
    forms = [...all].filter((f) => f.length >= MIN_SECRET_LENGTH).sort((a, b) => b.length - a.length);
    if (formsCache.size >= 1024) formsCache.clear(); // bounded: secrets change only on reload
    formsCache.set(s, forms);
  }
  return forms;
}

/**
 * The characters of the base64 of a longer value that depend on `secret` alone, when the
 * secret starts `shift` bytes (0, 1 or 2) into a 3-byte group: each character covers 6
 * bits, so those that also cover a bit before or after the secret are left out.
 */
function embeddedBase64(secret: Buffer, shift: number, encoding: 'base64' | 'base64url'): string {
  const padded = shift === 0 ? secret : Buffer.concat([Buffer.alloc(shift), secret]);
  const first = Math.ceil((8 * shift) / 6);
  const end = Math.floor((8 * (shift + secret.length)) / 6);
  return padded.toString(encoding).slice(first, end);
}

export { REDACTED };
