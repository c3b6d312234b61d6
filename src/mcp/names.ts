// Namespacing: the federation shows each server's tools and prompts as `<server>__<name>`
// and its resource URIs (and URI templates) as `<server>__<uri>` (DESIGN §2). A server
// name never contains `__` nor ends with `_` (config-schema.ts), so the first `__` of a
// namespaced name is always the boundary, whatever the original name holds: `a_b__c__d`
// is server `a_b`, name `c__d`; `x___y` is server `x`, name `_y`.

export const SEPARATOR = '__';

export function namespaced(server: string, name: string): string {
  return `${server}${SEPARATOR}${name}`;
}

/** The server and the original name of a namespaced one; null when it has no separator. */
export function splitNamespaced(value: string): { readonly server: string; readonly name: string } | null {
  const at = value.indexOf(SEPARATOR);
  if (at <= 0) return null;
  return { server: value.slice(0, at), name: value.slice(at + SEPARATOR.length) };
}

/** A glob of tools.include / tools.exclude (`*` any run of characters) as a matcher. */
export function globMatcher(patterns: readonly string[]): ((name: string) => boolean) | null {
  if (patterns.length === 0) return null;
  const exact = new Set(patterns.filter((p) => !p.includes('*')));
  const globs = patterns.filter((p) => p.includes('*')).map((p) => new RegExp(`^${p.split('*').map(escapeRegExp).join('.*')}$`, 's'));
  return (name) => exact.has(name) || globs.some((g) => g.test(name));
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** How a backend shows its servers' names and URIs to clients, and reads them back. */
export interface Naming {
  outward(server: string, name: string): string;
  /** The server and original name of a name a client sent; null when it names no server. */
  inward(value: string): { readonly server: string; readonly name: string } | null;
}

/** `<server>__<name>`: the federation of several servers. */
export const NAMESPACED: Naming = { outward: namespaced, inward: splitNamespaced };

/** `namespace: false`: one server, its names and URIs as it gives them. */
export function unprefixed(server: string): Naming {
  return { outward: (_server, name) => name, inward: (value) => ({ server, name: value }) };
}
