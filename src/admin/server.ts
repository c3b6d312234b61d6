// The admin listener (127.0.0.1:15000 by default; its own socket, never routes of a public
// listener, so nothing a public client sends can reach it):
//   GET  /healthz   the process is up                         (always open)
//   GET  /readyz    config loaded and every listener bound     (always open)
//   GET  /metrics   Prometheus text                            (always open)
//   GET  /config    effective config, secrets redacted         (token when set)
//   POST /reload    reload the config file now                 (token when set)
//   /keys, /usage   API keys and the usage ledger (state-api.ts) (token when set)
//   GET  /<path>    backends' views, e.g. /mcp/servers          (token when set)
//   /backends/<name>/<path>  a backend's actions, e.g. POST …/mcp/pins/approve (token when set)
import http from 'node:http';
import { GatewayError, renderJsonError, type AdminActionAnswer } from '../core/index.js';
import type { AddressInfo } from 'node:net';
import { timingSafeEqual, createHash } from 'node:crypto';
import type { Logger } from 'pino';
import { redactedConfig, type RuntimeConfig } from '../config/index.js';
import { KEY_LIMITS, readBody, stateApi, type StateApiHost } from './state-api.js';

/**
 * What the admin API needs of the process it serves. Declared here and implemented by
 * the Gateway, so admin depends on this contract and never on src/gateway (which
 * creates the admin server): the dependency points one way.
 */
export interface AdminHost extends StateApiHost {
  /** Config loaded and every listener bound, and not draining (/readyz). */
  readonly ready: boolean;
  readonly draining: boolean;
  readonly logger: Logger;
  /** Prometheus text of /metrics. */
  readonly metrics: { readonly registry: { metrics(): Promise<string>; readonly contentType: string } };
  /** The config being served; /config answers it redacted. */
  readonly config: RuntimeConfig;
  /** The bearer token, read on each request so that a reload changes it; null when none is set. */
  adminToken(): string | null;
  /** POST /reload: the whole outcome is the answer's body. */
  reload(): Promise<{ readonly ok: boolean }>;
  /** GET /<path> served by backends (e.g. mcp/servers), by backend name; null when no backend serves it. */
  backendViews(path: string): Promise<Record<string, object> | null>;
  /** /backends/<backend>/<path>: that backend's action; null when there is no such backend or it serves nothing there. */
  backendAction(backend: string, method: string, path: string, body: unknown): Promise<AdminActionAnswer> | null;
}

export class AdminServer {
  readonly server: http.Server;
  readonly #host: string;
  readonly #port: number;

  /** The token is read from the gateway's current config on each request, so a reload changes it. */
  constructor(gateway: AdminHost, opts: { host: string; port: number }) {
    this.#host = opts.host;
    this.#port = opts.port;
    this.server = http.createServer({ headersTimeout: 10_000, requestTimeout: 30_000 }, (req, res) => {
      route(gateway, req, res).catch((err: unknown) => {
        gateway.logger.error({ err: err instanceof Error ? err.message : String(err) }, 'admin request failed');
        if (!res.headersSent) json(res, 500, { error: { message: 'admin request failed' } });
        else res.destroy();
      });
    });
  }

  listen(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen({ host: this.#host, port: this.#port }, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
  }

  get port(): number { return (this.server.address() as AddressInfo | null)?.port ?? this.#port; }

  /**
   * Stops accepting. `graceful` lets requests being answered finish (a POST /reload that
   * moved the admin port is answered on the old socket); otherwise connections are cut.
   */
  close(graceful = false): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      if (graceful) this.server.closeIdleConnections();
      else this.server.closeAllConnections();
    });
  }
}

async function route(gw: AdminHost, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  const target = req.url ?? '/';
  const q = target.indexOf('?');
  const path = q === -1 ? target : target.slice(0, q);
  const query = q === -1 ? '' : target.slice(q + 1);
  const method = req.method ?? 'GET';
  switch (path) {
    case '/healthz':
      return json(res, 200, { status: 'ok' });
    case '/readyz':
      if (gw.ready) return json(res, 200, { status: 'ready' });
      return json(res, 503, { status: gw.draining ? 'draining' : 'starting' });
    case '/metrics': {
      const body = await gw.metrics.registry.metrics();
      res.writeHead(200, { 'content-type': gw.metrics.registry.contentType });
      res.end(body);
      return;
    }
  }
  if (!authorized(gw.adminToken(), req.headers.authorization)) {
    res.setHeader('www-authenticate', 'Bearer realm="agentedge-admin"');
    return renderError(res, new GatewayError('AE_ADMIN_UNAUTHORIZED'));
  }
  if (path === '/config' && method === 'GET') return json(res, 200, redactedConfig(gw.config));
  if (path === '/reload' && method === 'POST') {
    const r = await gw.reload();
    return json(res, r.ok ? 200 : 400, r);
  }
  if (method === 'GET' && path.length > 1) {
    const views = await gw.backendViews(path.slice(1));
    if (views !== null) return json(res, 200, { backends: views });
  }
  const action = /^\/backends\/([^/]+)\/(.+)$/.exec(path);
  if (action !== null) {
    let body: unknown;
    if (method !== 'GET' && method !== 'HEAD') {
      const text = await readBody(req, KEY_LIMITS.bodyMaxBytes).catch((err: unknown) => err);
      if (text instanceof GatewayError) return renderError(res, text);
      if (typeof text !== 'string') throw text;
      try {
        body = text.trim() === '' ? undefined : JSON.parse(text);
      } catch {
        return renderError(res, new GatewayError('AE_BAD_REQUEST', { message: 'body is not valid JSON' }));
      }
    }
    const answer = await gw.backendAction(action[1]!, method, action[2]!, body);
    if (answer instanceof GatewayError) return renderError(res, answer);
    if (answer !== null) return json(res, answer.status, answer.body);
  }
  const answer = await stateApi(gw, req, path, new URLSearchParams(query));
  if (answer instanceof GatewayError) return renderError(res, answer);
  if (answer !== null) return json(res, answer.status, answer.body);
  return renderError(res, new GatewayError('AE_ROUTE_NOT_FOUND'));
}

function authorized(token: string | null, header: string | undefined): boolean {
  if (token === null) return true;
  const m = /^Bearer (.+)$/i.exec(header ?? '');
  if (!m) return false;
  // Compare digests so lengths never leak through timing.
  const a = createHash('sha256').update(m[1]!).digest();
  const b = createHash('sha256').update(token).digest();
  return timingSafeEqual(a, b);
}

function json(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body, null, 2);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store' });
  res.end(text);
}

/** Admin errors use the gateway's registry and JSON shape, like every other error. */
function renderError(res: http.ServerResponse, err: GatewayError): void {
  const r = renderJsonError(err, '-');
  res.writeHead(r.status, { ...r.headers, 'content-length': Buffer.byteLength(r.body), 'cache-control': 'no-store' });
  res.end(r.body);
}
