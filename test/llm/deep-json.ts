// Deeply nested JSON for the nesting-cap tests. JSON.stringify cannot write 100,000 levels
// (it recurses), so the SDKs send a marker string and their fetch swaps in the deep text.

export const MARKER = '__DEEP__';

/** JSON arrays nested `n` deep: [[[…]]]. */
export function nested(n: number): string {
  return '['.repeat(n) + ']'.repeat(n);
}

/** A fetch (for an SDK's `fetch` option) that sends the request with the marker's JSON string replaced by `json`. */
export function swapping(json: string): typeof fetch {
  return (input, init) => {
    const body = typeof init?.body === 'string' ? init.body.replace(`"${MARKER}"`, json) : init?.body;
    return fetch(input, { ...init, body });
  };
}
