// Two (or more) fake OpenAI upstreams behind one gateway, for model routing tests: each
// fake is its own model, and virtual models are declared over them.
import OpenAI from 'openai';
import { startGateway, type TestGateway } from '../helpers/gateway.js';
import { BACKEND_KEY, startFakeOpenAI, type FakeHandler, type FakeOpenAI } from './support.js';

export interface RoutingSetup {
  fakes: Record<string, FakeOpenAI>;
  gw: TestGateway;
  client: OpenAI;
}

/** A JSON error answer with `status` and optional headers. */
export function failWith(status: number, headers: Record<string, string> = {}): FakeHandler {
  return (_req, res) => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(JSON.stringify({ error: { message: `failed with ${status}`, type: 'server_error', param: null, code: null } }));
  };
}

/**
 * Fakes named by `names` (each a concrete model "<name>" of provider openai), plus the YAML in
 * `extra` appended to the models list and `backendExtra` to the llm backend.
 */
export async function setupRouting(
  t: { after(fn: () => Promise<void>): void }, names: string[], extra: string, opts: { modelKeys?: string; backendExtra?: string } = {},
): Promise<RoutingSetup> {
  const fakes: Record<string, FakeOpenAI> = {};
  for (const n of names) fakes[n] = await startFakeOpenAI();
  const models = names.map((n) => `        - name: ${n}
          provider: openai
          model: gpt-4o-mini
          apiKey: ${BACKEND_KEY}
          baseUrl: ${fakes[n]!.baseUrl}
${opts.modelKeys ?? ''}`).join('');
  const gw = await startGateway(`gateway:
  admin: { host: 127.0.0.1, port: 0 }
listeners:
  - name: edge
    port: 0
    routes:
      - { name: llm, match: { path: /v1 }, backend: models }
backends:
  models:
    llm:
${opts.backendExtra ?? ''}      models:
${models}${extra}`);
  t.after(async () => { await gw.close(); for (const f of Object.values(fakes)) await f.close(); });
  const client = new OpenAI({ baseURL: `${gw.url()}/v1`, apiKey: 'sk-client-key-should-not-leak', maxRetries: 0, timeout: 10_000 });
  return { fakes, gw, client };
}

/** How many chat calls a fake got. */
export function calls(f: FakeOpenAI): number {
  return f.received.filter((r) => r.url.startsWith('/v1/chat/completions')).length;
}
