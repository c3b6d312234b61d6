// Loopback upstreams for tests: a plain node:http server on port 0 that records what it
// received, plus raw-socket helpers for protocol abuse.
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';

export interface ReceivedRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

export interface TestUpstream {
  url: string;
  port: number;
  server: http.Server;
  /** Requests whose body was fully read (only for the default handler). */
  received: ReceivedRequest[];
  /** Number of TCP connections accepted. */
  connections(): number;
  close(): Promise<void>;
}

export type Handler = (req: http.IncomingMessage, res: http.ServerResponse) => void;

/** Default handler: read the body and answer JSON describing the request. */
export async function startUpstream(handler?: Handler): Promise<TestUpstream> {
  const received: ReceivedRequest[] = [];
  let conns = 0;
  const server = http.createServer(handler ?? ((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      received.push({ method: req.method!, url: req.url!, headers: req.headers, body });
      const out = JSON.stringify({ method: req.method, url: req.url, headers: req.headers, bodyLength: body.length });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(out);
    });
  }));
  server.on('connection', () => { conns++; });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`, port, server, received,
    connections: () => conns,
    close: () => new Promise<void>((r) => { server.close(() => r()); server.closeAllConnections(); }),
  };
}

/** A TCP server with a custom connection handler (for upstreams that misbehave). */
export async function startRawUpstream(onConnection: (socket: net.Socket) => void): Promise<{ url: string; port: number; connections(): number; close(): Promise<void> }> {
  let conns = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => { conns++; sockets.add(s); s.on('close', () => sockets.delete(s)); s.on('error', () => {}); onConnection(s); });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`, port, connections: () => conns,
    close: () => new Promise<void>((r) => { for (const s of sockets) s.destroy(); server.close(() => r()); }),
  };
}

/** Sends raw bytes and collects everything until the server closes or `timeoutMs` passes. */
export function rawRequest(port: number, data: string | Buffer, timeoutMs = 5000): Promise<{ text: string; closed: boolean }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => { socket.destroy(); resolve({ text: Buffer.concat(chunks).toString(), closed: false }); }, timeoutMs);
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('close', () => { clearTimeout(timer); resolve({ text: Buffer.concat(chunks).toString(), closed: true }); });
    socket.on('error', (e) => { clearTimeout(timer); if (chunks.length) resolve({ text: Buffer.concat(chunks).toString(), closed: true }); else reject(e); });
    socket.write(data);
  });
}

/** Resolves when `fn` returns true, polling on the event loop (bounded by `timeoutMs`). */
export async function waitFor(fn: () => boolean | Promise<boolean>, timeoutMs = 5000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await fn())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
