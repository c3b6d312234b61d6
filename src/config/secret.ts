// Secret values that cannot leak by accident. A `Secret` prints, JSON-encodes and inspects
// as "[redacted]"; code that needs the value calls reveal(), which is easy to grep for.
// scrubSecrets() is the one place that removes known secret values from free text (log
// lines, config errors, the effective config), in the forms they are usually re-encoded in.
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

/** Replaces every occurrence of a secret in a string (raw, base64 and URL-encoded forms). */
export function scrubSecrets(text: string, secrets: Iterable<string>): string {
  let out = text;
  for (const s of secrets) {
    if (s.length < MIN_SECRET_LENGTH) continue;
    // Longest form first, so a form that contains another is replaced whole.
    for (const form of secretForms(s)) if (out.includes(form)) out = out.split(form).join(REDACTED);
  }
  return out;
}

// The logger scrubs every line, so the encoded forms are computed once per secret.
const formsCache = new Map<string, readonly string[]>();

/** The forms a secret is commonly found in: raw, URL-encoded, base64 and base64url. */
export function secretForms(s: string): readonly string[] {
  let forms = formsCache.get(s);
  if (forms === undefined) {
    const b64 = Buffer.from(s).toString('base64');
    const all = new Set([s, encodeURIComponent(s), b64, b64.replace(/=+$/, ''), Buffer.from(s).toString('base64url')]);
    forms = [...all].filter((f) => f.length >= MIN_SECRET_LENGTH).sort((a, b) => b.length - a.length);
    if (formsCache.size >= 1024) formsCache.clear(); // bounded: secrets change only on reload
    formsCache.set(s, forms);
  }
  return forms;
}

export { REDACTED };
