// Micro-benchmark of the secret mask (src/core/secret-mask.ts) on the answers it scans:
// what masking a call's secrets in a successful JSON answer costs, in µs per answer. Run
// with `node --import tsx bench/secret-mask.ts` (not part of `npm run bench`, which measures
// whole requests). Answers: a 675-byte chat completion (the bench fake's), a 4 KiB one, a
// 1 MiB one (long content), none holding a secret (the usual case), plus the 4 KiB one
// holding the key twice. Secrets: an OpenAI-style key, a configured header value, and a
// Vertex-style access token (the most a call sends). Each figure is the median of 7 runs.
import { SecretMask } from '../src/core/secret-mask.js';

const secrets = [
  'sk-proj-' + 'A1b2C3d4E5f6G7h8I9j0'.repeat(2) + 'kLmNoP',
  'org-header-value-0123456789',
  'ya29.' + 'a0AfB_byDx-Qw3ErTy5UiOp7AsDf9GhJk1LzXcVbNm'.repeat(4),
];
const mask = SecretMask.of(secrets)!;

function completion(content: string): Buffer {
  return Buffer.from(JSON.stringify({
    id: 'chatcmpl-bench', object: 'chat.completion', created: 1_700_000_000, model: 'bench-model', system_fingerprint: 'fp_bench',
    choices: [{ index: 0, message: { role: 'assistant', content, refusal: null }, logprobs: null, finish_reason: 'stop' }],
    usage: { prompt_tokens: 31, completion_tokens: 120, total_tokens: 151 },
  }));
}

const prose = 'The quick brown fox jumps over the lazy dog; Sphinx of black quartz, judge my vow. 0123456789 ';
const text = (bytes: number): string => prose.repeat(Math.ceil(bytes / prose.length)).slice(0, bytes);
const answers: [string, Buffer][] = [
  ['chat completion, 675 B', completion(text(420))],
  ['chat completion, 4 KiB', completion(text(3800))],
  ['4 KiB with the key twice', completion(`${text(1800)} ${secrets[0]} ${text(1800)} ${secrets[0]}`)],
  ['chat completion, 1 MiB', completion(text(1024 * 1024))],
];

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** µs per call of `fn`, over enough calls to take ~200 ms. */
function time(fn: () => void): number {
  let n = 1;
  for (;;) {
    const t0 = performance.now();
    for (let i = 0; i < n; i++) fn();
    const ms = performance.now() - t0;
    if (ms > 200) return (ms * 1000) / n;
    n *= 2;
  }
}

console.log(`secret mask: ${secrets.length} secrets, ${mask.maxFormLength} B longest form; node ${process.version}`);
for (const [name, body] of answers) {
  // Whole (a translated answer, endJson) and as a stream of 16 KiB chunks (the pass-through relay).
  const whole = median(Array.from({ length: 7 }, () => time(() => { mask.apply(body); })));
  const chunked = median(Array.from({ length: 7 }, () => time(() => {
    const s = mask.stream();
    for (let at = 0; at < body.length; at += 16384) s.push(body.subarray(at, at + 16384));
    s.flush();
  })));
  const perMb = (whole / body.length) * 1024 * 1024;
  console.log(`${name.padEnd(28)} whole ${whole.toFixed(2).padStart(9)} µs   16 KiB chunks ${chunked.toFixed(2).padStart(9)} µs   (${(perMb / 1000).toFixed(2)} ms/MiB)`);
}
const build = median(Array.from({ length: 7 }, () => time(() => { SecretMask.of([...secrets, `x-${Math.random()}`]); })));
console.log(`compiling the mask of these secrets (once per model, and per new access token): ${build.toFixed(1)} µs`);
