// Parsing JSON that came from outside (a client's body, an upstream's answer) with a bound
// on nesting, for every protocol. V8's JSON.parse is iterative, but JSON.stringify and any
// code that walks a value recursively are not: a body nested 100,000 deep parses fine and
// then overflows the stack where it is re-serialised (RangeError, a 500). So the depth is
// checked before parsing, in one linear pass over the text that skips strings with
// indexOf; a text too short to be that deep is not scanned at all.
//
// A `__proto__` key is refused on request (JSON.parse makes it an own property and
// pollutes nothing, but a JavaScript consumer that merges the value with plain assignment
// sets a prototype). The key is judged as parsed, so "\u005f_proto__" counts too; the
// walk over the parsed value is paid only by texts that spell it literally or have a \u
// escape of one of its letters.

import { MAX_JSON_DEPTH_LIMIT } from '../config/json-depth.js';

// The bounds are config data (config/json-depth.ts); re-exported for core's users.
export { DEFAULT_MAX_JSON_DEPTH, MAX_JSON_DEPTH_LIMIT } from '../config/json-depth.js';

export interface JsonBounds {
  /** Deepest nesting of arrays and objects accepted (a scalar is depth 0, `[]` depth 1). */
  readonly maxDepth: number;
  /** Refuse an object key "__proto__" anywhere in the value. */
  readonly refuseProtoKey?: boolean;
}

export type JsonProblem = 'syntax' | 'depth' | 'proto';

/** A text refused by parseJson: what is wrong with it, never where (no parser message). */
export class JsonRefusedError extends Error {
  readonly problem: JsonProblem;
  readonly maxDepth: number;

  constructor(problem: JsonProblem, maxDepth: number) {
    super(problem === 'depth' ? `JSON nested deeper than ${maxDepth} levels`
      : problem === 'proto' ? 'JSON with a "__proto__" key' : 'not valid JSON');
    this.name = 'JsonRefusedError';
    this.problem = problem;
    this.maxDepth = maxDepth;
  }
}

/** Bounds for JSON from an upstream or inside a request: the most any route may allow. */
export const UNTRUSTED_JSON: JsonBounds = Object.freeze({ maxDepth: MAX_JSON_DEPTH_LIMIT });

/** Parses `text`, refusing it (JsonRefusedError) when malformed, too deep, or with a refused key. */
export function parseJson(text: string, bounds: JsonBounds): unknown {
  if (nestedDeeperThan(text, bounds.maxDepth)) throw new JsonRefusedError('depth', bounds.maxDepth);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new JsonRefusedError('syntax', bounds.maxDepth);
  }
  if (bounds.refuseProtoKey === true && mayNameProto(text) && hasProtoKey(value)) throw new JsonRefusedError('proto', bounds.maxDepth);
  return value;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;

/**
 * True when `text` opens more than `maxDepth` arrays/objects at once, outside strings.
 * Linear: each character is looked at once (strings are jumped over with indexOf). Only
 * meaningful for text that parses: a malformed text may be answered either way, and then
 * fails the parse.
 */
export function nestedDeeperThan(text: string, maxDepth: number): boolean {
  // Each level of valid JSON takes an opening and a closing character.
  if (text.length <= 2 * maxDepth + 1) return false;
  let depth = 0;
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      i = stringEnd(text, i);
      if (i < 0) return false;
    } else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      if (++depth > maxDepth) return true;
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
      depth--;
    }
  }
  return false;
}

/** The index of the quote closing the string opened at `open`; -1 when it is not closed. */
function stringEnd(text: string, open: number): number {
  let at = open;
  for (;;) {
    at = text.indexOf('"', at + 1);
    if (at < 0) return -1;
    // Escaped when an odd number of backslashes precede it. Each run of backslashes is
    // counted once: the quote after it either ends the string or is passed.
    let b = at - 1;
    while (text.charCodeAt(b) === BACKSLASH) b--;
    if ((at - 1 - b) % 2 === 0) return at;
  }
}

/** A \u escape of one of the characters of "__proto__" (_ p r o t). */
const ESCAPED_PROTO_CHAR = /\\u00(?:5f|6f|7[024])/i;

/**
 * Whether a key of `text` may parse to "__proto__": it is spelled literally, or one of its
 * characters is written as a \u escape (JSON has no other way to write them). Other texts
 * skip the walk.
 */
function mayNameProto(text: string): boolean {
  return text.includes('__proto__') || ESCAPED_PROTO_CHAR.test(text);
}

/** True when some object in `root` has an own key "__proto__". Iterative: depth costs no stack. */
function hasProtoKey(root: unknown): boolean {
  const stack: unknown[] = [root];
  while (stack.length > 0) {
    const v = stack.pop();
    if (v === null || typeof v !== 'object') continue;
    if (Array.isArray(v)) {
      for (const x of v) stack.push(x);
      continue;
    }
    if (Object.prototype.hasOwnProperty.call(v, '__proto__')) return true;
    for (const k of Object.keys(v)) stack.push((v as Record<string, unknown>)[k]);
  }
  return false;
}
