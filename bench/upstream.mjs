// The bench upstream: a plain node:http server with keep-alive. POST (or GET) anything
// → a fixed ~200-byte JSON chat completion; GET /sse → an event stream whose first event
// is written with the headers, then two more and the end. Runs as a child of run.mjs
// and reports its port over IPC; exits when the parent goes away.
import http from 'node:http';

const JSON_BODY = Buffer.from(JSON.stringify({
  id: 'chatcmpl-bench', model: 'bench-model',
  choices: [{ index: 0, message: { role: 'assistant', content: 'Hello from the bench.' }, finish_reason: 'stop' }],
  usage: { prompt_tokens: 9, completion_tokens: 5, total_tokens: 14 },
}));
const JSON_HEADERS = { 'content-type': 'application/json', 'content-length': String(JSON_BODY.length) };

const server = http.createServer({ keepAliveTimeout: 60_000 }, (req, res) => {
  if (req.url === '/sse') {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    res.write('data: {"n":1}\n\n');
    setImmediate(() => { res.write('data: {"n":2}\n\n'); res.end('data: [DONE]\n\n'); });
    return;
  }
  req.resume();
  req.on('end', () => { res.writeHead(200, JSON_HEADERS); res.end(JSON_BODY); });
});

server.listen(0, '127.0.0.1', () => process.send({ port: server.address().port, bytes: JSON_BODY.length }));
process.on('disconnect', () => process.exit(0));
process.on('SIGTERM', () => process.exit(0));
