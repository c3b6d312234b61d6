// The floor: the least a Node reverse proxy can do. node:http downstream, an undici Pool
// upstream (same pool size and pipelining as the gateway's http backend), method, path,
// headers and body forwarded, the response streamed back with pool.stream. Hop-by-hop
// headers are dropped both ways, as any correct proxy must. Nothing else: no routing,
// request ids, x-forwarded-*, limits, metrics or logs.
import http from 'node:http';
import { Pool } from 'undici';

const pool = new Pool(process.env.UPSTREAM, { connections: 128, pipelining: 1 });
const HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'te', 'trailer', 'upgrade', 'host']);
const strip = (h) => { const o = {}; for (const k in h) if (!HOP.has(k)) o[k] = h[k]; return o; };

const server = http.createServer((req, res) => {
  const hasBody = req.headers['content-length'] !== undefined || req.headers['transfer-encoding'] !== undefined;
  pool.stream(
    { path: req.url, method: req.method, headers: strip(req.headers), body: hasBody ? req : null },
    ({ statusCode, headers }) => { res.writeHead(statusCode, strip(headers)); return res; },
    (err) => { if (err) { if (res.headersSent) res.destroy(err); else { res.statusCode = 502; res.end(); } } },
  );
});

server.listen(0, '127.0.0.1', () => process.send({ port: server.address().port }));
process.on('disconnect', () => process.exit(0));
// A clean exit, so --cpu-prof can write its profile.
process.on('SIGTERM', () => { server.close(); server.closeAllConnections(); void pool.close().finally(() => process.exit(0)); });
