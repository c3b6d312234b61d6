// Estimated usage for a stream that ended before the provider reported any: an OpenAI
// pass-through stream the client abandoned before the usage chunk (the tokens were still
// spent upstream, so accounting nothing would let a budget be drained for free).
//
// Input: the request's messages and tools tokenized with o200k_base (gpt-tokenizer), the
// encoding of current OpenAI models, plus OpenAI's per-message framing (3 tokens a message,
// 3 to prime the reply). Other tokenizers differ by some per cent; it is an estimate.
// Output: the number of data events forwarded (OpenAIStreamUsage.outputEvents), as OpenAI
// streams about one token per chunk.
//
// The tokenizer's table takes ~160 ms and ~35 MB to load, so it is loaded on first use,
// synchronously (estimateUsage is called from synchronous code), or ahead of time with
// preloadTokenizer() off the request path.
//
// Counts are remembered per text (TokenCounts): each call to the tokenizer costs ~0.7 µs
// before it reads a character, and most of a request's texts were in an earlier one (the
// roles, the system prompt, the turns a chat re-sends). The price is that up to
// COUNT_CACHE_CHARS characters of recent prompts stay in memory after their requests.
import { createRequire } from 'node:module';
import type { Usage } from './usage.js';

type Tokenizer = typeof import('gpt-tokenizer/encoding/o200k_base');

/** Tokens OpenAI adds around each message, and to prime the assistant's reply. */
const PER_MESSAGE = 3;
const REPLY_PRIMING = 3;
/** An image part of unknown size: a 1024×1024 image at high detail (85 + 4 × 170). */
const PER_IMAGE = 765;
/** Text tokenized exactly; beyond it, tokens are extrapolated from the ratio so far (CPU stays bounded). */
const MAX_TOKENIZED_CHARS = 256 * 1024;
/** Special-token markers in user text are counted as plain text, never refused. */
const AS_TEXT = { disallowedSpecial: new Set<string>() };

/** Characters of text whose counts are remembered, and the longest text remembered. */
const COUNT_CACHE_CHARS = 1024 * 1024;
const COUNT_CACHE_MAX_TEXT = 64 * 1024;

let tokenizer: Tokenizer | null = null;

function load(): Tokenizer {
  tokenizer ??= createRequire(import.meta.url)('gpt-tokenizer/cjs/encoding/o200k_base') as Tokenizer;
  return tokenizer;
}

/** Loads the tokenizer soon, outside the current request, so no estimate waits for it. */
export function preloadTokenizer(): void {
  if (tokenizer !== null) return;
  setImmediate(() => {
    // A failed load is retried by the first estimate, which then falls back to characters / 4.
    try { load(); } catch { /* see count() */ }
  }).unref();
}

/**
 * Usage estimated from an OpenAI chat request body and the number of content events
 * streamed back. Never throws: an odd body yields a smaller estimate.
 */
export function estimateUsage(requestBody: Record<string, unknown>, outputEvents: number): Usage {
  const texts = new TextBudget();
  let extra = REPLY_PRIMING;
  const messages = requestBody.messages;
  if (Array.isArray(messages)) {
    for (const m of messages as unknown[]) extra += PER_MESSAGE + messageTexts(m, texts);
  }
  // Tool definitions reach the model as text; their JSON is a fair size for it.
  if (Array.isArray(requestBody.tools) && requestBody.tools.length > 0) texts.add(safeJson(requestBody.tools));
  return {
    inputTokens: texts.tokens() + extra,
    outputTokens: Math.max(0, Math.floor(outputEvents)),
    cacheReadTokens: null,
    cacheWriteTokens: null,
  };
}

/**
 * Input tokens of a request on any front, before the call (rate limits and budgets):
 * chat and Anthropic `messages`, Anthropic `system`, Responses `input` and
 * `instructions`, and tool definitions. Never throws.
 */
export function estimateRequestTokens(body: Record<string, unknown>): number {
  let tokens = estimateUsage(body, 0).inputTokens ?? 0;
  const rest = new TextBudget();
  for (const field of ['system', 'input', 'instructions'] as const) {
    const v = body[field];
    if (typeof v === 'string') rest.add(v);
    else if (v !== undefined && v !== null) rest.add(safeJson(v));
  }
  tokens += rest.tokens();
  return tokens;
}

/** The most output tokens a request allows, from whichever field its front uses; null when unset. */
export function maxOutputTokens(body: Record<string, unknown>): number | null {
  for (const field of ['max_completion_tokens', 'max_tokens', 'max_output_tokens'] as const) {
    const v = body[field];
    if (typeof v === 'number' && Number.isFinite(v) && v >= 0) return Math.floor(v);
  }
  return null;
}

/** Adds a message's texts to `texts`; returns the tokens counted without text (images). */
function messageTexts(m: unknown, texts: TextBudget): number {
  if (typeof m !== 'object' || m === null) return 0;
  const msg = m as Record<string, unknown>;
  let fixed = 0;
  if (typeof msg.role === 'string') texts.add(msg.role);
  if (typeof msg.name === 'string') texts.add(msg.name);
  const content = msg.content;
  if (typeof content === 'string') texts.add(content);
  else if (Array.isArray(content)) {
    for (const part of content as unknown[]) {
      if (typeof part !== 'object' || part === null) continue;
      const p = part as Record<string, unknown>;
      if (typeof p.text === 'string') texts.add(p.text);
      else if (typeof p.refusal === 'string') texts.add(p.refusal);
      else if (p.type === 'image_url') fixed += PER_IMAGE;
    }
  }
  if (Array.isArray(msg.tool_calls)) {
    for (const call of msg.tool_calls as unknown[]) {
      const fn = typeof call === 'object' && call !== null ? (call as Record<string, unknown>).function : undefined;
      if (typeof fn !== 'object' || fn === null) continue;
      const { name, arguments: args } = fn as Record<string, unknown>;
      if (typeof name === 'string') texts.add(name);
      if (typeof args === 'string') texts.add(args);
    }
  }
  return fixed;
}

/** Tokens of the texts added, tokenizing at most MAX_TOKENIZED_CHARS characters. */
class TextBudget {
  #tokens = 0;
  #tokenizedChars = 0;
  #skippedChars = 0;

  add(text: string): void {
    if (text === '') return;
    const room = MAX_TOKENIZED_CHARS - this.#tokenizedChars;
    if (room <= 0) { this.#skippedChars += text.length; return; }
    const whole = text.length <= room;
    const part = whole ? text : text.slice(0, room);
    // A slice is not remembered: it would keep the whole text it was cut from in memory.
    this.#tokens += count(part, whole);
    this.#tokenizedChars += part.length;
    this.#skippedChars += text.length - part.length;
  }

  tokens(): number {
    if (this.#skippedChars === 0) return this.#tokens;
    return this.#tokens + Math.ceil(this.#skippedChars * (this.#tokens / this.#tokenizedChars));
  }
}

/**
 * Token counts of texts seen lately, bounded by their total characters. Insertion order
 * is age order: the oldest go first when full (a hit does not refresh: a text still in use
 * is counted again once, after it was evicted). The texts come from parsed request bodies,
 * where JSON.parse made each its own string, so a key holds no more than its characters.
 */
class TokenCounts {
  readonly #counts = new Map<string, number>();
  #chars = 0;

  get(text: string): number | undefined {
    return this.#counts.get(text);
  }

  set(text: string, tokens: number): void {
    if (text.length > COUNT_CACHE_MAX_TEXT) return;
    for (const old of this.#counts.keys()) {
      if (this.#chars + text.length <= COUNT_CACHE_CHARS) break;
      this.#counts.delete(old);
      this.#chars -= old.length;
    }
    this.#counts.set(text, tokens);
    this.#chars += text.length;
  }
}

const counts = new TokenCounts();

function count(text: string, remember: boolean): number {
  const known = counts.get(text);
  if (known !== undefined) return known;
  let tokens: number;
  try {
    tokens = load().countTokens(text, AS_TEXT);
  } catch {
    // The tokenizer failed to load or to encode: the usual rule of thumb, 4 characters a
    // token (not remembered: a later load may count it exactly).
    return Math.ceil(text.length / 4);
  }
  if (remember) counts.set(text, tokens);
  return tokens;
}

function safeJson(v: unknown): string {
  try {
    return JSON.stringify(v) ?? '';
  } catch {
    return '';
  }
}
