// Test harness: a real gateway on 127.0.0.1 with port 0 listeners, started in-process from
// a YAML text written to a temp folder, with its log lines captured.
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { Gateway, type GatewayOptions } from '../../src/gateway/gateway.js';

export interface TestGateway {
  gw: Gateway;
  dir: string;
  configPath: string;
  /** Base URL of a listener, e.g. http://127.0.0.1:41234 */
  url(listener?: string): string;
  port(listener?: string): number;
  adminUrl(): string;
  /** Parsed JSON log lines so far. */
  logs: Record<string, any>[];
  /** Raw log text so far. */
  logText(): string;
  /** Replaces the config file (does not reload by itself unless watch is on). */
  writeConfig(yaml: string): void;
  close(deadlineMs?: number): Promise<void>;
}

export async function startGateway(yaml: string, opts: Partial<GatewayOptions> = {}): Promise<TestGateway> {
  const dir = mkdtempSync(join(tmpdir(), 'agentedge-test-'));
  const configPath = join(dir, 'agentedge.yaml');
  writeFileSync(configPath, yaml);
  const logs: Record<string, any>[] = [];
  let raw = '';
  const destination = new Writable({
    write(chunk: Buffer, _enc, cb) {
      const text = chunk.toString();
      raw += text;
      for (const line of text.split('\n')) if (line.trim()) { try { logs.push(JSON.parse(line)); } catch { logs.push({ msg: line }); } }
      cb();
    },
  });
  const gw = await Gateway.start({ configPath, logDestination: destination, watch: false, processMetrics: false, ...opts });
  const first = gw.listenerNames()[0]!;
  return {
    gw, dir, configPath, logs,
    logText: () => raw,
    url: (l = first) => `http://127.0.0.1:${gw.port(l)}`,
    port: (l = first) => gw.port(l),
    adminUrl: () => `http://127.0.0.1:${gw.adminPort}`,
    writeConfig: (y) => writeFileSync(configPath, y),
    close: async (deadlineMs = 1000) => { await gw.close(deadlineMs); rmSync(dir, { recursive: true, force: true }); },
  };
}

/** A one-listener config routing everything under `/` (or `path`) to an http backend. */
export function proxyConfig(upstreamUrl: string, extra: { listener?: string; route?: string; backend?: string; gateway?: string; policies?: string } = {}): string {
  return `gateway:
  admin: { host: 127.0.0.1, port: 0 }
${extra.gateway ?? ''}
listeners:
  - name: edge
    port: 0
${extra.listener ?? ''}
    routes:
      - name: main
        match: { path: / }
${extra.route ?? ''}
        backend: up
backends:
  up:
    http:
      url: ${upstreamUrl}
${extra.backend ?? ''}
${extra.policies ?? ''}
`;
}
