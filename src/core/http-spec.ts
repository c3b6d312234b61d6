// What the http proxy (http-proxy.ts) is built from: the compiled `backends.<name>.http`
// (src/http/kind.ts compiles it and registers it with config's BackendSpecs).
import type { BackendSpec } from '../config/index.js';

export interface HttpBackendSpec extends BackendSpec {
  readonly kind: 'http';
  readonly name: string;
  readonly origin: string;
  /** The url's path without a trailing slash ("" for none). */
  readonly basePath: string;
  readonly host: string;
  readonly preserveHost: boolean;
  /** Forward the credential the caller authenticated with at the gateway (withheld by default). */
  readonly passthrough: boolean;
  /** Most requests in flight (= open connections); more wait in the queue. */
  readonly connections: number;
  /** Most requests waiting for a connection; 0 refuses at once over the cap. */
  readonly queueSize: number;
  /** Longest wait for a connection; 0: no limit. */
  readonly queueTimeoutMs: number;
  readonly connectTimeoutMs: number;
  readonly responseTimeoutMs: number;
  readonly idleTimeoutMs: number;
  readonly retries: number;
  /** Equal keys mean the live connection pool can be reused across a reload. */
  readonly key: string;
}
