// Small local upstreams for the offline quickstart (`agentedge demo`, `npm start`): an
// echo service that reflects what the gateway forwarded, and an event stream that
// trickles events so streaming through the gateway can be seen with curl -N.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Gateway } from '../gateway/gateway.js';

export interface DemoUpstreams {
  readonly echoUrl: string;
  describe(gw: Gateway): string;
  close(): Promise<void>;
}

export const DEMO_ECHO_PORT = Number(process.env.AGENTEDGE_DEMO_PORT ?? 18081);

export function demoEchoServer(): http.Server {
  return http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://demo');
    if (url.pathname.endsWith('/stream')) {
      const n = Math.min(Number(url.searchParams.get('n') ?? 5) || 5, 100);
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      let i = 0;
      const timer = setInterval(() => {
        i++;
        res.write(`data: {"event":${i},"of":${n}}\n\n`);
        if (i >= n) { clearInterval(timer); res.end('data: [DONE]\n\n'); }
      }, 200);
      res.on('close', () => clearInterval(timer));
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.stringify({ method: req.method, path: req.url, headers: req.headers, body: Buffer.concat(chunks).toString('utf8') }, null, 2);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(body + '\n');
    });
  });
}

export async function startDemoUpstreams(port = DEMO_ECHO_PORT): Promise<DemoUpstreams> {
  const echo = demoEchoServer();
  await new Promise<void>((resolve, reject) => {
    echo.once('error', reject);
    echo.listen({ host: '127.0.0.1', port }, () => resolve());
  });
  const echoUrl = `http://127.0.0.1:${(echo.address() as AddressInfo).port}`;
  return {
    echoUrl,
    describe(gw) {
      const lines = ['', 'agentedge demo is running (offline; no keys needed).', `  echo upstream:   ${echoUrl}`];
      for (const name of gw.listenerNames()) lines.push(`  listener ${name}:   http://127.0.0.1:${gw.port(name)}`);
      if (gw.adminPort !== null) lines.push(`  admin:           http://127.0.0.1:${gw.adminPort}  (/healthz /readyz /metrics /config)`);
      const first = gw.listenerNames()[0];
      if (first !== undefined) {
        const edge = `localhost:${gw.port(first)}`;
        lines.push('Try:', `  curl -s ${edge}/echo/hello`, `  curl -N ${edge}/echo/stream`);
        if (gw.adminPort !== null) lines.push(`  curl -s localhost:${gw.adminPort}/metrics | grep agentedge_requests_total`);
      }
      lines.push('The full tour is in README.md. Edit the config file and it reloads live; Ctrl-C stops.', '');
      return lines.join('\n');
    },
    close: () => new Promise<void>((resolve) => { echo.close(() => resolve()); echo.closeAllConnections(); }),
  };
}
