// The bench's fake OpenAI upstream: a keep-alive node:http server answering
// POST …/chat/completions the way api.openai.com does, with no artificial delay (the bench
// measures what the gateway adds, not a model). The request body is read and parsed, as a
// real server must:
//   - without "stream": a ~750-byte chat.completion JSON with usage (content-length);
//   - with "stream": true: an event stream (chunked) of the role chunk (written with the
//     headers), BENCH_SSE_CHUNKS (default 20) content chunks, then, when
//     stream_options.include_usage is true, the usage chunk (choices: []), then
//     `data: [DONE]`. Each event is its own write, the next one a setImmediate later (or
//     BENCH_SSE_GAP_MS later, when set: then a proxy that buffered would show in the
//     time to first token), so events reach the proxy as separate small reads, as tokens
//     do from a real provider.
// Anything else → 404. Runs as a child of run.mjs and reports its port over IPC; exits
// when the parent goes away.
import http from 'node:http';

const CHUNKS = Math.max(1, Number(process.env.BENCH_SSE_CHUNKS || 20));
const GAP_MS = Number(process.env.BENCH_SSE_GAP_MS || 0);
const later = GAP_MS > 0 ? (fn) => setTimeout(fn, GAP_MS) : setImmediate;
const MODEL = 'bench-model';
const ID = 'chatcmpl-Bench0123456789abcdefghijklmnop';
const CREATED = 1_763_700_000;
const FINGERPRINT = 'fp_bench0001';
const WORDS = ['Hello', ' from', ' the', ' agentedge', ' bench', ':', ' this', ' is', ' a', ' short', ',', ' plausible', ' answer', ' of', ' about', ' twenty', ' tokens', ' or', ' so', '.'];
const word = (i) => WORDS[i % WORDS.length];
const CONTENT = Array.from({ length: CHUNKS }, (_, i) => word(i)).join('');
const USAGE = {
  prompt_tokens: 19, completion_tokens: CHUNKS, total_tokens: 19 + CHUNKS,
  prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
  completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 },
};

const JSON_BODY = Buffer.from(JSON.stringify({
  id: ID, object: 'chat.completion', created: CREATED, model: MODEL,
  choices: [{ index: 0, message: { role: 'assistant', content: CONTENT, refusal: null, annotations: [] }, logprobs: null, finish_reason: 'stop' }],
  usage: USAGE,
  service_tier: 'default', system_fingerprint: FINGERPRINT,
}));
const JSON_HEADERS = {
  'content-type': 'application/json', 'content-length': String(JSON_BODY.length),
  'openai-processing-ms': '1', 'x-request-id': 'req_bench', 'x-ratelimit-remaining-requests': '9999',
};
const SSE_HEADERS = {
  'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache',
  'openai-processing-ms': '1', 'x-request-id': 'req_bench',
};

const chunk = (delta, finish, extra = {}) => `data: ${JSON.stringify({
  id: ID, object: 'chat.completion.chunk', created: CREATED, model: MODEL, service_tier: 'default', system_fingerprint: FINGERPRINT,
  choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }], ...extra,
})}\n\n`;
/** The events of one stream, pre-rendered; [0] is the role chunk, then content, then the last (finish_reason) chunk. */
const EVENTS = [
  chunk({ role: 'assistant', content: '', refusal: null }, null),
  ...Array.from({ length: CHUNKS }, (_, i) => chunk({ content: word(i) }, null)),
  chunk({}, 'stop'),
];
const USAGE_EVENT = `data: ${JSON.stringify({
  id: ID, object: 'chat.completion.chunk', created: CREATED, model: MODEL, service_tier: 'default', system_fingerprint: FINGERPRINT,
  choices: [], usage: USAGE,
})}\n\n`;
const DONE = 'data: [DONE]\n\n';

function stream(res, includeUsage) {
  res.writeHead(200, SSE_HEADERS);
  let i = 0;
  const next = () => {
    if (res.destroyed) return;
    if (i < EVENTS.length) {
      res.write(EVENTS[i++]);
      later(next);
    } else {
      if (includeUsage) res.write(USAGE_EVENT);
      res.end(DONE);
    }
  };
  next();
}

const server = http.createServer({ keepAliveTimeout: 60_000 }, (req, res) => {
  if (req.method !== 'POST' || !req.url.endsWith('/chat/completions')) {
    req.resume();
    res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":{"message":"not found","type":"invalid_request_error"}}');
    return;
  }
  const parts = [];
  req.on('data', (c) => parts.push(c));
  req.on('end', () => {
    let body;
    try {
      body = JSON.parse(parts.length === 1 ? parts[0] : Buffer.concat(parts));
    } catch {
      res.writeHead(400, { 'content-type': 'application/json' }).end('{"error":{"message":"bad json","type":"invalid_request_error"}}');
      return;
    }
    if (body.stream === true) stream(res, body.stream_options?.include_usage === true);
    else res.writeHead(200, JSON_HEADERS).end(JSON_BODY);
  });
});

server.listen(0, '127.0.0.1', () => process.send({ port: server.address().port, bytes: JSON_BODY.length, chunks: CHUNKS, events: EVENTS.length }));
process.on('disconnect', () => process.exit(0));
process.on('SIGTERM', () => process.exit(0));
