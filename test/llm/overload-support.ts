// Overload tests for llm backends: one fake OpenAI upstream serving every model, whose
// answers for the models named in `held` wait on a gate the test opens, so "a call is in
// flight upstream" is a fact the test waits for, never a sleep.
import type http from 'node:http';
import OpenAI from 'openai';
import { startGateway, type TestGateway } from '../helpers/gateway.js';
import { holdGate, type HoldGate } from '../helpers/held-upstream.js';
import { BACKEND_KEY, startFakeOpenAI, type FakeOpenAI, type FakeRequest } from './support.js';

export interface OverloadSetup {
  fake: FakeOpenAI;
  gate: HoldGate;
  gw: TestGateway;
  client: OpenAI;
}

/** A chat answer (JSON, or a short SSE stream) in OpenAI's wire format. */
export function answerChat(req: FakeRequest, res: http.ServerResponse): void {
  const model = String(req.body.model);
  if (req.body.stream === true) {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    for (const delta of [{ role: 'assistant', content: 'Hello' }, { content: ' world' }]) {
      res.write(`data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', created: 1, model, choices: [{ index: 0, delta, finish_reason: null }] })}\n\n`);
    }
    res.write(`data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', created: 1, model, choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] })}\n\n`);
    res.end('data: [DONE]\n\n');
    return;
  }
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify({
    id: 'c', object: 'chat.completion', created: 1, model,
    choices: [{ index: 0, message: { role: 'assistant', content: 'Hello world', refusal: null }, logprobs: null, finish_reason: 'stop' }],
    usage: { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 },
  }));
}

/**
 * A gateway whose llm backend "models" has the concrete models in `models` (YAML list items
 * without baseUrl/apiKey: they are added), all on one fake. Calls whose upstream model is in
 * `held` wait for `gate`.
 */
export async function setupOverload(t: { after(fn: () => Promise<void>): void }, models: { name: string; upstream: string; extra?: string }[], virtual = '', held: string[] = ['held-model']): Promise<OverloadSetup> {
  const fake = await startFakeOpenAI();
  const gate = holdGate();
  fake.on('/v1/chat/completions', (req, res) => {
    if (!held.includes(String(req.body.model))) return answerChat(req, res);
    void gate.hold().then(() => answerChat(req, res));
  });
  t.after(async () => { gate.release(); await fake.close(); });
  const list = models.map((m) => `        - name: ${m.name}
          provider: openai
          model: ${m.upstream}
          apiKey: ${BACKEND_KEY}
          baseUrl: ${fake.baseUrl}
${m.extra ?? ''}`).join('');
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
      models:
${list}${virtual}`);
  t.after(() => gw.close());
  const client = new OpenAI({ baseURL: `${gw.url()}/v1`, apiKey: 'sk-client', maxRetries: 0, timeout: 20_000 });
  return { fake, gate, gw, client };
}

/** Chat calls the fake got for an upstream model name. */
export function callsFor(fake: FakeOpenAI, upstreamModel: string): number {
  return fake.received.filter((r) => r.url.startsWith('/v1/chat/completions') && r.body.model === upstreamModel).length;
}
