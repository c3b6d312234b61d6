// Shared bits for listener tests: reading raw HTTP/1.1 answers and the rejection metric.
import net from 'node:net';
import type { TestGateway } from '../helpers/gateway.js';

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** Parses the first response in a raw HTTP/1.1 byte string (headers lower-cased). */
export function parseResponse(text: string): RawResponse {
  const end = text.indexOf('\r\n\r\n');
  if (end === -1) throw new Error(`no complete response in ${JSON.stringify(text)}`);
  const [statusLine, ...lines] = text.slice(0, end).split('\r\n');
  const headers: Record<string, string> = {};
  for (const l of lines) {
    const i = l.indexOf(':');
    headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
  }
  const length = Number(headers['content-length'] ?? NaN);
  const rest = text.slice(end + 4);
  const body = headers['transfer-encoding'] === 'chunked' ? dechunk(rest) : Number.isFinite(length) ? rest.slice(0, length) : rest;
  return { status: Number(statusLine!.split(' ')[1]), headers, body };
}

function dechunk(text: string): string {
  let out = '';
  let at = 0;
  for (;;) {
    const eol = text.indexOf('\r\n', at);
    if (eol === -1) return out;
    const size = parseInt(text.slice(at, eol), 16);
    if (!(size > 0)) return out;
    out += text.slice(eol + 2, eol + 2 + size);
    at = eol + 2 + size + 2;
  }
}

/** Value of agentedge_downstream_rejected_total for a listener and reason (0 when absent). */
export async function rejectedCount(gw: TestGateway, reason: string, listener = 'edge'): Promise<number> {
  const text = await gw.gw.metrics.registry.metrics();
  const want = `agentedge_downstream_rejected_total{listener="${listener}",reason="${reason}"}`;
  const line = text.split('\n').find((l) => l.startsWith(want));
  return line === undefined ? 0 : Number(line.slice(want.length).trim());
}

/** Asserts the body is the gateway's JSON error with this code; returns it. */
export function errorBody(body: string): { message: string; type: string; code: string; request_id: string } {
  return (JSON.parse(body) as { error: { message: string; type: string; code: string; request_id: string } }).error;
}

/** A raw client connection that collects everything it receives. */
export class RawClient {
  readonly socket: net.Socket;
  #data = '';
  #closed: Promise<string>;

  constructor(port: number) {
    this.socket = net.connect(port, '127.0.0.1');
    this.socket.setEncoding('latin1');
    this.socket.on('data', (d: string) => { this.#data += d; });
    this.socket.on('error', () => {});
    this.#closed = new Promise((resolve) => this.socket.once('close', () => resolve(this.#data)));
  }

  get text(): string { return this.#data; }
  get closed(): boolean { return this.socket.destroyed; }
  write(bytes: string | Buffer): void { this.socket.write(bytes); }
  /** Everything received by the time the server closed the connection. */
  untilClosed(): Promise<string> { return this.#closed; }
}
