// The bench's MCP server: the official SDK's (1.x) McpServer with one cheap tool, `echo`
// ({ text } → one text content block with the same text), behind its node:http
// StreamableHTTPServerTransport at /mcp — stateful sessions (one McpServer + transport per
// session, as the SDK requires), JSON responses (`enableJsonResponse: true`). An
// `initialize` POST without a session id opens a session; an unknown session id → 404.
// Nothing else (no GET streams are needed: every answer is JSON). Runs as a child of
// run.mjs and reports its port over IPC; exits when the parent goes away.
import http from 'node:http';
import { randomUUID } from 'node:crypto';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { z } from 'zod';

const transports = new Map();

function buildServer() {
  const server = new McpServer({ name: 'bench-mcp', version: '1.0.0' });
  server.registerTool('echo', { description: 'Echoes its text', inputSchema: { text: z.string() } }, async ({ text }) => ({
    content: [{ type: 'text', text }],
  }));
  return server;
}

const NOT_FOUND = JSON.stringify({ jsonrpc: '2.0', id: null, error: { code: -32001, message: 'Session not found' } });

const server = http.createServer({ keepAliveTimeout: 60_000 }, async (req, res) => {
  try {
    const chunks = [];
    for await (const c of req) chunks.push(c);
    const body = chunks.length ? JSON.parse(Buffer.concat(chunks).toString()) : undefined;
    const sid = req.headers['mcp-session-id'];
    let t = typeof sid === 'string' ? transports.get(sid) : undefined;
    if (t === undefined) {
      if (typeof sid === 'string' || req.method !== 'POST' || body?.method !== 'initialize') {
        res.writeHead(404, { 'content-type': 'application/json' }).end(NOT_FOUND);
        return;
      }
      const created = new StreamableHTTPServerTransport({
        sessionIdGenerator: () => randomUUID(),
        enableJsonResponse: true,
        onsessioninitialized: (id) => { transports.set(id, created); },
      });
      created.onclose = () => { if (created.sessionId) transports.delete(created.sessionId); };
      await buildServer().connect(created);
      t = created;
    }
    await t.handleRequest(req, res, body);
  } catch (err) {
    if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
    res.end(String(err));
  }
});

server.listen(0, '127.0.0.1', () => process.send({ port: server.address().port, path: '/mcp' }));
process.on('disconnect', () => process.exit(0));
process.on('SIGTERM', () => process.exit(0));
