#!/usr/bin/env node
// The cost of the MCP backend's upstream hop in isolation (bench/README.md, "MCP scenarios"):
// sequential POSTs of a tools/call message from this process to a node:http server here
// answering a small JSON-RPC result, CPU (client + server) per call, for undici.request
// and for undici fetch as the MCP SDK's StreamableHTTPClientTransport calls it (redirect
// 'manual', the transport's session-long AbortSignal). `N=15000 node bench/mcp-fetch.mjs` (N: calls per variant, default 20000).
import http from 'node:http';
import { Agent, fetch, request } from 'undici';
const BODY = Buffer.from(JSON.stringify({ jsonrpc: '2.0', id: 1, result: { content: [{ type: 'text', text: 'Hello from the agentedge bench.' }] } }));
const srv = http.createServer({ keepAliveTimeout: 60_000 }, (req, res) => { req.resume(); req.on('end', () => { res.writeHead(200, { 'content-type': 'application/json', 'content-length': BODY.length }); res.end(BODY); }); });
await new Promise((r) => srv.listen(0, '127.0.0.1', r));
const url = `http://127.0.0.1:${srv.address().port}/mcp`;
const dispatcher = new Agent({ keepAliveTimeout: 60_000 });
const msg = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'echo', arguments: { text: 'Hello from the agentedge bench.' } } });
const headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-session-id': 'x', 'mcp-protocol-version': '2025-11-25' };
const longLived = new AbortController();
const variants = {
  'undici.request (no web streams)': async () => { const r = await request(url, { method: 'POST', headers, body: msg, dispatcher }); return JSON.parse(await r.body.text()); },
  'fetch, redirect error, no signal': async () => { const r = await fetch(url, { method: 'POST', headers, body: msg, dispatcher, redirect: 'error' }); return r.json(); },
  'fetch, redirect manual, no signal': async () => { const r = await fetch(url, { method: 'POST', headers, body: msg, dispatcher, redirect: 'manual' }); return r.json(); },
  'fetch, redirect manual, long-lived signal (as the SDK)': async () => { const r = await fetch(url, { method: 'POST', headers: new Headers(headers), body: msg, dispatcher, redirect: 'manual', signal: longLived.signal }); return r.json(); },
};
const N = Number(process.env.N || 20000);
for (let pass = 0; pass < 2; pass++) {
  for (const [name, fn] of Object.entries(variants)) {
    for (let i = 0; i < 2000; i++) await fn();
    const c0 = process.cpuUsage(); const t0 = performance.now();
    for (let i = 0; i < N; i++) await fn();
    const c = process.cpuUsage(c0); const t = performance.now() - t0;
    console.log(`${name.padEnd(56)} ${(((c.user + c.system)) / N).toFixed(1).padStart(6)} µs CPU/call (client + server)  ${(t * 1000 / N).toFixed(1)} µs wall/call`);
  }
}
srv.close(); await dispatcher.close(); process.exit(0);
