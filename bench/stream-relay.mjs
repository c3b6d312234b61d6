// The stream relay's own cost, in isolation: one OpenAI chat stream of 24 chunks (role, 20
// content, finish, usage, [DONE]) through StreamRelay with the usage stage and the secret
// mask, against the same components called directly (what a relay without stages would
// do). Run after `npm run build`: `node bench/stream-relay.mjs`. Prints µs per stream;
// the difference is what the stage chain costs. No sockets: JS only.
import { StreamRelay, maskStage, SecretMask, RequestContext } from '../dist/src/core/index.js';
import { OpenAIStreamUsage } from '../dist/src/llm/usage.js';
const ev = (o) => Buffer.from(`data: ${JSON.stringify(o)}\n\n`);
const chunks = [ev({ id: 'c', object: 'chat.completion.chunk', choices: [{ index: 0, delta: { role: 'assistant', content: '' } }] })];
for (let i = 0; i < 20; i++) chunks.push(ev({ id: 'c', object: 'chat.completion.chunk', choices: [{ index: 0, delta: { content: 'tok' + i } }] }));
chunks.push(ev({ id: 'c', object: 'chat.completion.chunk', choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] }));
chunks.push(ev({ id: 'c', object: 'chat.completion.chunk', choices: [], usage: { prompt_tokens: 10, completion_tokens: 20, total_tokens: 30 } }));
chunks.push(Buffer.from('data: [DONE]\n\n'));
const secretMask = SecretMask.of(['sk-bench-secret-key-0123456789abcdef']);
let sink = 0;
const res = { destroyed: false, writableEnded: false, headersSent: true, write(b) { sink += b.length; return true; }, end() {}, once() {}, off() {} };
const req = { method: 'POST', headers: {}, socket: { remoteAddress: '127.0.0.1' } };
const src = { pause() {}, resume() {}, abort() {} };
function viaRelay() {
  const ctx = new RequestContext(req, res, 'edge', false);
  const usage = new OpenAIStreamUsage(false, 16 << 20);
  const relay = new StreamRelay(ctx, src, { framing: 'sse', maxEventBytes: 16 << 20, heldAtEnd: 'pass', stages: [usage, maskStage(secretMask.stream())], renderError: () => null, failure: (e) => e, settle: () => {}, done: () => {} });
  for (const c of chunks) relay.onData(c);
  relay.onEnd();
}
function direct() {
  const ctx = new RequestContext(req, res, 'edge', false);
  const usage = new OpenAIStreamUsage(false, 16 << 20);
  const mask = secretMask.stream();
  for (const c of chunks) {
    let b = usage.push(c);
    if (b.length > 0) b = mask.push(b);
    if (b.length > 0) { ctx.bytesOut += b.length; res.write(b); }
  }
  usage.flush(); mask.flush(); res.end();
}
for (const [name, fn] of [['relay', viaRelay], ['direct', direct], ['relay', viaRelay], ['direct', direct]]) {
  for (let i = 0; i < 5000; i++) fn();
  const n = 20000; const t = process.hrtime.bigint();
  for (let i = 0; i < n; i++) fn();
  console.log(name, (Number(process.hrtime.bigint() - t) / n / 1000).toFixed(2), 'µs/stream');
}
