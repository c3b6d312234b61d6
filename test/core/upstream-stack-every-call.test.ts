// Every upstream call passes the one upstream stack (core/upstream.ts): an interceptor given
// to the gateway sees an http backend's request, a WebSocket upgrade, each attempt of an LLM
// call (a retry after a 503 included) and the LLM call's answer through the same dispatch.
// This is the seam tracing and the egress check plug into.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import OpenAI from 'openai';
import { WebSocket, WebSocketServer } from 'ws';
import type { Dispatcher } from 'undici';
import type { UpstreamInterceptor } from '../../src/core/index.js';
import { startGateway } from '../helpers/gateway.js';

interface Seen { method: string; path: string; upgrade: boolean; status: number | null }

/** Records each dispatch and the status it ended with (101 for an upgrade). */
function recorder(seen: Seen[]): UpstreamInterceptor {
  return {
    name: 'test-recorder',
    intercept: (dispatch) => function recordDispatch(opts, handler) {
      const s: Seen = { method: opts.method, path: opts.path, upgrade: opts.upgrade != null, status: null };
      seen.push(s);
      const wrapped: Dispatcher.DispatchHandler = {
        onRequestStart: (c, context) => handler.onRequestStart?.(c, context),
        onRequestUpgrade: (c, status, headers, socket) => { s.status = status; handler.onRequestUpgrade?.(c, status, headers, socket); },
        onResponseStart: (c, status, headers, message) => { s.status = status; handler.onResponseStart?.(c, status, headers, message); },
        onResponseData: (c, chunk) => handler.onResponseData?.(c, chunk),
        onResponseEnd: (c, trailers) => handler.onResponseEnd?.(c, trailers),
        onResponseError: (c, err) => handler.onResponseError?.(c, err),
      };
      return dispatch(opts, wrapped);
    },
  };
}

async function listen(server: http.Server): Promise<string> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

test('an http request, a WebSocket upgrade and every LLM attempt pass the stack', { timeout: 30_000 }, async (t) => {
  const plain = http.createServer((_req, res) => { res.writeHead(200, { 'content-type': 'text/plain' }); res.end('plain'); });
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  const wssListening = once(wss, 'listening');
  wss.on('connection', (ws) => ws.on('message', (m: Buffer) => ws.send(`echo:${m.toString()}`)));
  let llmCalls = 0;
  const llm = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      // The first attempt fails with a 503: the model's retry is a second dispatch.
      if (llmCalls++ === 0) { res.writeHead(503, { 'content-type': 'application/json' }); res.end('{"error":{"message":"busy"}}'); return; }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ id: 'c1', object: 'chat.completion', created: 1, model: 'm', choices: [{ index: 0, message: { role: 'assistant', content: 'hi' }, finish_reason: 'stop' }], usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 } }));
    });
  });
  await wssListening;
  const wsUrl = `http://127.0.0.1:${(wss.address() as AddressInfo).port}`;
  const [plainUrl, llmUrl] = [await listen(plain), await listen(llm)];
  const seen: Seen[] = [];
  const gw = await startGateway(`gateway:
  admin: { host: 127.0.0.1, port: 0 }
listeners:
  - name: edge
    port: 0
    routes:
      - { name: llm, match: { path: /v1 }, backend: models }
      - { name: ws, match: { path: /socket }, backend: sockets }
      - { name: plain, match: { path: / }, backend: plain }
backends:
  plain: { http: { url: ${plainUrl} } }
  sockets: { http: { url: ${wsUrl} } }
  models:
    llm:
      models:
        - { name: local, provider: openai-compatible, baseUrl: ${llmUrl}/v1, retries: 1, retryBackoff: 1ms }
`, { upstreamInterceptors: [recorder(seen)] });
  t.after(async () => {
    await gw.close();
    for (const c of wss.clients) c.terminate();
    await Promise.all([new Promise((r) => plain.close(r)), new Promise((r) => wss.close(r)), new Promise((r) => llm.close(r))]);
  });

  const res = await fetch(`${gw.url()}/hello`);
  assert.equal(await res.text(), 'plain');

  const ws = new WebSocket(`ws://127.0.0.1:${gw.port()}/socket`);
  await once(ws, 'open');
  ws.send('ping');
  const [echo] = await once(ws, 'message') as [Buffer];
  assert.equal(echo.toString(), 'echo:ping');
  ws.close();

  const client = new OpenAI({ apiKey: 'unused', baseURL: `${gw.url()}/v1`, maxRetries: 0 });
  const r = await client.chat.completions.create({ model: 'local', messages: [{ role: 'user', content: 'hi' }] });
  assert.equal(r.choices[0]!.message.content, 'hi');

  assert.deepEqual(seen.map((s) => `${s.method} ${s.path} ${s.upgrade ? 'upgrade ' : ''}${s.status}`), [
    'GET /hello 200',
    'GET /socket upgrade 101',
    'POST /v1/chat/completions 503',
    'POST /v1/chat/completions 200',
  ]);
});
