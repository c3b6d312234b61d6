// Masks known secrets in bytes that pass through (RELIABILITY 27: an upstream that echoes
// the key it was sent must not hand it to the client). A mask is compiled once for a set of
// secrets (each in every form of `secretForms`: raw, URL-, JSON- and base64-encoded) into
// an Aho-Corasick automaton over bytes, so a scan costs one step per byte whatever the
// number of forms, and carries over from one chunk to the next: a secret split across two
// chunks is found, and only the bytes that could still be the start of one (the automaton's
// depth, never more than the longest form less one) are held back at a chunk's end.
//
// Each occurrence is replaced by `*` of the same length, so a relayed body keeps its
// Content-Length and can stream without being buffered. Inside JSON strings the result
// stays valid JSON: escape sequences in the masked span (`\"`, `\n`, `\u00e9`) are kept
// as they are (they show only which special characters the secret had), and so is an
// escape that the span starts in the middle of.
//
// Trade-off: masking is byte-exact and blind to structure. A secret that is an ordinary
// word would mask that word everywhere, so secrets shorter than `minLength` (8 by default)
// are not masked at all.
import { secretForms } from '../config/index.js';

/** Secrets shorter than this are not masked in bodies by default (see the module comment). */
export const MIN_MASKED_SECRET_LENGTH = 8;

const STAR = 0x2a;
const BACKSLASH = 0x5c;
const LOWER_U = 0x75;
const EMPTY = Buffer.alloc(0);

/**
 * States up to this depth get a full transition row (see SecretMask). Below the shortest
 * form (MIN_SECRET_LENGTH bytes), so no state with a row ends a form.
 */
const ROW_DEPTH = 3;

/**
 * The secrets of one set, compiled; shared by every stream that masks them.
 *
 * The automaton is deterministic where it matters for speed: the start state and the states
 * near it (depth ≤ ROW_DEPTH), where ordinary text spends nearly all its time, have a full
 * transition row over byte classes (bytes that occur in no form share one class). A deeper
 * state is a byte of a high-entropy string, nearly always with one continuation: it keeps
 * its few trie edges, and on any other byte the scan follows failure links to a state with
 * a row (amortised O(1), as in Aho-Corasick). Full rows everywhere would cost states ×
 * classes words: hundreds of KiB for one long token.
 *
 * A state is named by a code: one with a row by the row's offset (≥ 0), any other by the
 * complement of its number (< 0). Only the latter can end a form, so the usual step is one
 * lookup and one sign test.
 */
export class SecretMask {
  /** Byte → class (0: a byte in no form). */
  readonly #class = new Uint8Array(256);
  /** Rows: the code of the next state, by class. */
  readonly #delta: Int32Array;
  /** By row offset (sparse): the state's depth. */
  readonly #rowDepth: Int32Array;
  /** By number of a state without a row: its trie edges (#edgeByte/#edgeCode from #edgeStart[s] to #edgeStart[s + 1]), its fail state's code, the longest form ending there (0: none) and its depth. */
  readonly #edgeStart: Int32Array;
  readonly #edgeByte: Uint8Array;
  readonly #edgeCode: Int32Array;
  readonly #failCode: Int32Array;
  readonly #match: Int32Array;
  readonly #depth: Int32Array;
  /** Longest form, in bytes. */
  readonly maxFormLength: number;

  /**
   * The mask of `secrets` (each in all its forms), or null when none is long enough to be
   * masked (nothing to do: callers skip the scan).
   */
  static of(secrets: Iterable<string>, minLength = MIN_MASKED_SECRET_LENGTH): SecretMask | null {
    const forms = new Set<string>();
    for (const s of secrets) {
      if (s.length < minLength) continue;
      for (const f of secretForms(s)) forms.add(f);
    }
    return forms.size === 0 ? null : new SecretMask([...forms].map((f) => Buffer.from(f)));
  }

  private constructor(forms: readonly Buffer[]) {
    // The trie, with maps while it grows.
    const children: Map<number, number>[] = [new Map<number, number>()];
    const ends: number[] = [0];
    const depth: number[] = [0];
    let classes = 1;
    let longest = 0;
    for (const form of forms) {
      longest = Math.max(longest, form.length);
      let s = 0;
      for (const b of form) {
        if (this.#class[b] === 0) this.#class[b] = classes++;
        let next = children[s]!.get(b);
        if (next === undefined) {
          next = children.length;
          children.push(new Map<number, number>());
          ends.push(0);
          depth.push(depth[s]! + 1);
          children[s]!.set(b, next);
        }
        s = next;
      }
      ends[s] = Math.max(ends[s]!, form.length);
    }
    const n = children.length;
    const code = new Int32Array(n);
    /** The state of each row (build time: a failure link is a state number). */
    const rowState: number[] = [];
    let edges = 0;
    for (let s = 0; s < n; s++) {
      if (depth[s]! <= ROW_DEPTH) { code[s] = rowState.length * classes; rowState.push(s); } else { code[s] = ~s; edges += children[s]!.size; }
    }
    const rows = rowState.length;
    this.#delta = new Int32Array(rows * classes);
    this.#rowDepth = new Int32Array(rows * classes);
    this.#edgeStart = new Int32Array(n + 1);
    this.#edgeByte = new Uint8Array(edges);
    this.#edgeCode = new Int32Array(edges);
    this.#failCode = new Int32Array(n);
    this.#match = new Int32Array(n);
    this.#depth = Int32Array.from(depth);
    // Breadth first: a state's failure link, and its fail state's transitions, are ready before it.
    // Edges of the states without a row, in state order.
    let edge = 0;
    for (let s = 0; s < n; s++) {
      this.#edgeStart[s] = edge;
      if (code[s]! >= 0) continue;
      for (const [b, v] of children[s]!) { this.#edgeByte[edge] = b; this.#edgeCode[edge] = code[v]!; edge++; }
    }
    this.#edgeStart[n] = edge;
    const fail = new Int32Array(n);
    const queue: number[] = [0];
    for (let head = 0; head < queue.length; head++) {
      const u = queue[head]!;
      const c = code[u]!;
      const failCode = code[fail[u]!]!;
      if (c >= 0) {
        this.#rowDepth[c] = depth[u]!;
        // Bytes without a child go where the fail state goes (from the start state: stay).
        for (let k = 0; k < classes; k++) this.#delta[c + k] = u === 0 ? c : this.#step(failCode, k);
        for (const [b, v] of children[u]!) this.#delta[c + this.#class[b]!] = code[v]!;
      } else {
        this.#match[u] = Math.max(ends[u]!, fail[u]! > 0 ? this.#match[fail[u]!]! : 0);
        this.#failCode[u] = failCode;
      }
      for (const [b, v] of children[u]!) {
        const to = this.#step(failCode, this.#class[b]!);
        fail[v] = u === 0 ? 0 : to >= 0 ? rowState[to / classes]! : ~to;
        queue.push(v);
      }
    }
    this.maxFormLength = longest;
  }

  /** A scanner for one body: `push` each chunk in order, then `flush`. */
  stream(): SecretMaskStream {
    return new SecretMaskStream(this);
  }

  /** Masks a whole body: the same buffer when it holds no secret, else a masked copy. */
  apply(body: Buffer): Buffer {
    const s = this.stream();
    const out = s.push(body);
    const held = s.flush();
    return held === null ? out : out.length === 0 ? held : Buffer.concat([out, held]);
  }

  /**
   * Scans `buf` from its start in state `code` (0: the start state); calls `found(start,
   * end)` for each occurrence (positions in `buf`; `start` is negative when the occurrence
   * began in bytes scanned before). Returns the state at the end.
   */
  scan(buf: Buffer, code: number, found: (start: number, end: number) => void): number {
    const cls = this.#class;
    const delta = this.#delta;
    let s = code;
    const n = buf.length;
    for (let i = 0; i < n; i++) {
      if (s >= 0) {
        s = delta[s + cls[buf[i]!]!]!;
        if (s >= 0) continue;
      } else {
        s = this.#deep(~s, buf[i]!);
        if (s >= 0) continue;
      }
      const m = this.#match[~s]!;
      if (m !== 0) found(i + 1 - m, i + 1);
    }
    return s;
  }

  /** Bytes to hold back when a chunk ends in state `code`: a form may start there. */
  depth(code: number): number {
    return code >= 0 ? this.#rowDepth[code]! : this.#depth[~code]!;
  }

  /** The step from state number `state`, which has no row: along its edges, else its failure links. */
  #deep(state: number, b: number): number {
    let s = state;
    for (;;) {
      const end = this.#edgeStart[s + 1]!;
      for (let e = this.#edgeStart[s]!; e < end; e++) if (this.#edgeByte[e] === b) return this.#edgeCode[e]!;
      const f = this.#failCode[s]!;
      if (f >= 0) return this.#delta[f + this.#class[b]!]!;
      s = ~f;
    }
  }

  /** The step from state `code` on byte class `k` (build time, for states already built). */
  #step(code: number, k: number): number {
    let c = code;
    for (;;) {
      if (c >= 0) return this.#delta[c + k]!;
      const s = ~c;
      const end = this.#edgeStart[s + 1]!;
      for (let e = this.#edgeStart[s]!; e < end; e++) if (this.#class[this.#edgeByte[e]!] === k) return this.#edgeCode[e]!;
      c = this.#failCode[s]!;
    }
  }
}

/**
 * Masks one body as it passes, chunk by chunk. `push` returns the bytes that may go out now
 * (possibly none: a chunk that could be the start of a secret is held back until the next
 * one says whether it is); `flush` returns what is still held at the end, masked as far as
 * it is a secret (a partial form is no secret, and goes out as it came). The bytes out are
 * exactly as many as the bytes in.
 */
export class SecretMaskStream {
  readonly #mask: SecretMask;
  #state = 0;
  #held: Buffer = EMPTY;
  /** Backslashes at the end of what was already sent (their parity says whether the next byte is escaped). */
  #sentBackslashes = 0;
  /** Occurrences found in the current chunk, as [start, end) pairs relative to the chunk (a start may be negative: in the held bytes). */
  #found: number[] = [];
  readonly #onFound = (start: number, end: number): void => { this.#found.push(start, end); };

  constructor(mask: SecretMask) {
    this.#mask = mask;
  }

  /** Bytes held back so far (never more than the longest form less one). */
  get held(): number { return this.#held.length; }

  push(chunk: Buffer): Buffer {
    if (chunk.length === 0) return EMPTY;
    const heldLength = this.#held.length;
    this.#state = this.#mask.scan(chunk, this.#state, this.#onFound);
    const keep = this.#mask.depth(this.#state);
    if (heldLength === 0 && keep === 0 && this.#found.length === 0) return this.#sent(chunk);
    // Held bytes, the chunk, and masks go together: one copy, only on this slower path.
    const joined = heldLength === 0 ? Buffer.from(chunk) : Buffer.concat([this.#held, chunk]);
    this.#applyFound(joined, heldLength);
    const cut = joined.length - keep;
    this.#held = keep === 0 ? EMPTY : joined.subarray(cut);
    return this.#sent(cut === joined.length ? joined : joined.subarray(0, cut));
  }

  /** The bytes still held at the end of the body (null when none). */
  flush(): Buffer | null {
    const held = this.#held;
    this.#held = EMPTY;
    this.#state = 0;
    return held.length === 0 ? null : this.#sent(held);
  }

  /**
   * Masks the occurrences found in the chunk, in `buf` (the held bytes, then the chunk: chunk
   * positions are shifted by `shift`). An occurrence starts within the held bytes at the
   * earliest, since they are the automaton's depth.
   */
  #applyFound(buf: Buffer, shift: number): void {
    const found = this.#found;
    for (let i = 0; i < found.length; i += 2) {
      const start = Math.max(0, found[i]! + shift);
      maskSpan(buf, start, found[i + 1]! + shift, this.#escapedAt(buf, start));
    }
    found.length = 0;
  }

  /** True when the byte at `at` follows an odd run of backslashes (it is the letter of an escape). */
  #escapedAt(buf: Buffer, at: number): boolean {
    let run = 0;
    let i = at - 1;
    while (i >= 0 && buf[i] === BACKSLASH) { run++; i--; }
    if (i < 0) run += this.#sentBackslashes;
    return run % 2 === 1;
  }

  /** Notes the trailing backslashes of what goes out, and returns it. */
  #sent(out: Buffer): Buffer {
    let i = out.length - 1;
    while (i >= 0 && out[i] === BACKSLASH) i--;
    const trailing = out.length - 1 - i;
    this.#sentBackslashes = i < 0 ? this.#sentBackslashes + trailing : trailing;
    return out;
  }
}

/** The letters a JSON escape may have after its backslash: " \ / b f n r t u. */
const ESCAPE_LETTER = new Uint8Array(256);
for (const c of '"\\/bfnrtu') ESCAPE_LETTER[c.charCodeAt(0)] = 1;

/**
 * Replaces buf[start, end) with `*`, keeping JSON escape sequences whole: a backslash and
 * its letter, or `\uXXXX` (a backslash whose next byte is not yet in `buf` is kept too).
 * `escaped`: the span starts right after an odd run of backslashes, so on an escape's letter.
 */
function maskSpan(buf: Buffer, start: number, end: number, escaped: boolean): void {
  let i = start;
  if (escaped && ESCAPE_LETTER[buf[i]!] === 1) i += buf[i] === LOWER_U ? 5 : 1;
  while (i < end) {
    if (buf[i] === BACKSLASH && (i + 1 >= buf.length || ESCAPE_LETTER[buf[i + 1]!] === 1)) {
      i += buf[i + 1] === LOWER_U ? 6 : 2;
      continue;
    }
    buf[i++] = STAR;
  }
}
