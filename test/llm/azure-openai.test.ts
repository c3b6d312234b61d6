// Azure OpenAI behind the gateway, driven by the OpenAI SDK: calls go to
// {resource}/openai/deployments/{deployment}/{chat/completions|embeddings}?api-version=…
// with the backend's key as `api-key` (never Authorization, never the client's key), the
// answers (JSON and SSE) come back as Azure sent them, and the Responses API is addressed
// on Azure's v1 surface ({resource}/openai/v1/responses, the deployment as the model).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import OpenAI from 'openai';
import { request } from 'undici';
import { Secret } from '../../src/config/index.js';
import { LLM_LIMIT_DEFAULTS, type LlmModelSpec } from '../../src/llm/spec.js';
import { openAICall } from '../../src/llm/providers/openai.js';
import { startGateway } from '../helpers/gateway.js';

const AZURE_KEY = 'azure-backend-key-0123456789abcdef';
const CLIENT_KEY = 'sk-client-key-should-not-leak';

interface Seen { method: string; url: string; headers: http.IncomingHttpHeaders; body: Record<string, any> }

const ROUTE = /^\/openai\/deployments\/([^/?]+)\/(chat\/completions|embeddings)\?(.*)$/;

function chunk(choices: unknown[], extra: Record<string, unknown> = {}): string {
  return `data: ${JSON.stringify({ id: 'chatcmpl-az', object: 'chat.completion.chunk', created: 1_700_000_000, model: 'gpt-4o-2024-11-20', choices, ...extra })}\n\n`;
}

/** A fake Azure OpenAI resource: it refuses calls without the right api-key or api-version, like Azure. */
async function startFakeAzure(t: { after(fn: () => Promise<void>): void }): Promise<{ url: string; seen: Seen[]; status: { next: number | null } }> {
  const seen: Seen[] = [];
  const status = { next: null as number | null };
  const server = http.createServer((raw, res) => {
    const chunks: Buffer[] = [];
    raw.on('data', (c: Buffer) => chunks.push(c));
    raw.on('end', () => {
      const body = chunks.length > 0 ? JSON.parse(Buffer.concat(chunks).toString()) as Record<string, any> : {};
      seen.push({ method: raw.method!, url: raw.url!, headers: raw.headers, body });
      const json = (code: number, value: unknown, headers: http.OutgoingHttpHeaders = {}): void => {
        res.writeHead(code, { 'content-type': 'application/json', ...headers });
        res.end(JSON.stringify(value));
      };
      if (raw.url === '/openai/v1/responses') {
        // The v1 surface: no api-version needed; the deployment is the body's model.
        if (raw.headers['api-key'] !== AZURE_KEY) return json(401, { error: { code: '401', message: 'Access denied.' } });
        return json(200, {
          id: 'resp_az', object: 'response', created_at: 1_700_000_000, status: 'completed', model: body.model,
          output: [{ type: 'message', id: 'msg_az', role: 'assistant', status: 'completed', content: [{ type: 'output_text', text: 'Hello Azure', annotations: [] }] }],
          usage: { input_tokens: 9, output_tokens: 2, total_tokens: 11, input_tokens_details: { cached_tokens: 0 }, output_tokens_details: { reasoning_tokens: 0 } },
        });
      }
      const m = ROUTE.exec(raw.url!);
      if (m === null) return json(404, { error: { code: '404', message: 'Resource not found' } });
      if (raw.headers['api-key'] !== AZURE_KEY) return json(401, { error: { code: '401', message: 'Access denied due to invalid subscription key or wrong API endpoint.' } });
      if (!new URLSearchParams(m[3]).has('api-version')) return json(404, { error: { code: '404', message: 'Resource not found' } });
      if (status.next !== null) {
        const code = status.next;
        status.next = null;
        if (code === 429) return json(429, { error: { code: '429', message: 'Requests to the ChatCompletions_Create Operation have exceeded call rate limit.' } }, { 'retry-after': '7' });
        return json(code, { error: { code: 'content_filter', message: 'The response was filtered due to the prompt triggering content management policy.', param: 'prompt', type: null, status: 400 } });
      }
      if (m[2] === 'embeddings') {
        return json(200, { object: 'list', data: [{ object: 'embedding', index: 0, embedding: [0.5, -0.25] }], model: 'text-embedding-3-small', usage: { prompt_tokens: 3, total_tokens: 3 } });
      }
      if (body.stream === true) {
        res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8' });
        // Azure sends a first chunk with prompt_filter_results and no choices.
        res.write(chunk([], { prompt_filter_results: [{ prompt_index: 0, content_filter_results: {} }] }));
        res.write(chunk([{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }]));
        for (const part of ['Hello', ' Azure']) res.write(chunk([{ index: 0, delta: { content: part }, finish_reason: null }]));
        res.write(chunk([{ index: 0, delta: {}, finish_reason: 'stop' }]));
        if (body.stream_options?.include_usage === true) res.write(chunk([], { usage: { prompt_tokens: 9, completion_tokens: 2, total_tokens: 11 } }));
        res.end('data: [DONE]\n\n');
        return;
      }
      json(200, {
        id: 'chatcmpl-az', object: 'chat.completion', created: 1_700_000_000, model: 'gpt-4o-2024-11-20',
        choices: [{ index: 0, message: { role: 'assistant', content: 'Hello Azure' }, finish_reason: 'stop', content_filter_results: {} }],
        usage: { prompt_tokens: 9, completion_tokens: 2, total_tokens: 11 },
      }, { 'x-ratelimit-remaining-requests': '42', 'apim-request-id': 'apim-1' });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  t.after(() => new Promise<void>((r) => { server.close(() => r()); server.closeAllConnections(); }));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen, status };
}

async function setupAzure(t: { after(fn: () => Promise<void>): void }) {
  const fake = await startFakeAzure(t);
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
        - name: az
          provider: azure
          model: gpt-4o
          deployment: dep-4o
          apiKey: ${AZURE_KEY}
          baseUrl: ${fake.url}
        - name: az-embed
          provider: azure
          model: text-embedding-3-small
          apiVersion: 2025-04-01-preview
          apiKey: ${AZURE_KEY}
          baseUrl: ${fake.url}/
`);
  t.after(() => gw.close());
  const client = new OpenAI({ baseURL: `${gw.url()}/v1`, apiKey: CLIENT_KEY, maxRetries: 0, timeout: 10_000 });
  return { fake, gw, client };
}

function assertAzureAuth(s: Seen): void {
  assert.equal(s.headers['api-key'], AZURE_KEY);
  assert.equal(s.headers.authorization, undefined);
  assert.ok(!JSON.stringify(s.headers).includes(CLIENT_KEY));
  assert.ok(!s.url.includes(AZURE_KEY));
}

test('azure: JSON chat goes to the deployment with api-version and api-key', { timeout: 30_000 }, async (t) => {
  const { fake, client } = await setupAzure(t);
  const { data, response } = await client.chat.completions.create({ model: 'az', messages: [{ role: 'user', content: 'hi' }] }).withResponse();
  assert.equal(data.choices[0]!.message.content, 'Hello Azure');
  assert.equal(data.usage?.total_tokens, 11);
  assert.equal(response.headers.get('x-agentedge-provider'), 'azure');
  assert.equal(response.headers.get('x-ratelimit-remaining-requests'), '42');
  assert.equal(fake.seen.length, 1);
  assert.equal(fake.seen[0]!.url, '/openai/deployments/dep-4o/chat/completions?api-version=2024-10-21');
  assertAzureAuth(fake.seen[0]!);
});

test('azure: streamed chat passes through; usage only when asked', { timeout: 30_000 }, async (t) => {
  const { fake, client } = await setupAzure(t);
  const texts: string[] = [];
  let usageChunks = 0;
  for await (const c of await client.chat.completions.create({ model: 'az', messages: [{ role: 'user', content: 'hi' }], stream: true })) {
    texts.push(c.choices[0]?.delta.content ?? '');
    if (c.usage) usageChunks++;
  }
  assert.equal(texts.join(''), 'Hello Azure');
  assert.equal(usageChunks, 0);
  assert.equal(fake.seen[0]!.body.stream_options?.include_usage, true);
  assertAzureAuth(fake.seen[0]!);

  let usage: OpenAI.CompletionUsage | null | undefined;
  for await (const c of await client.chat.completions.create({ model: 'az', messages: [{ role: 'user', content: 'hi' }], stream: true, stream_options: { include_usage: true } })) {
    if (c.usage) usage = c.usage;
  }
  assert.equal(usage?.total_tokens, 11);
});

test('azure: embeddings on the deployment named after the model, with the configured api-version', { timeout: 30_000 }, async (t) => {
  const { fake, client } = await setupAzure(t);
  const r = await client.embeddings.create({ model: 'az-embed', input: 'hello', encoding_format: 'float' });
  assert.deepEqual(r.data[0]!.embedding, [0.5, -0.25]);
  assert.equal(fake.seen[0]!.url, '/openai/deployments/text-embedding-3-small/embeddings?api-version=2025-04-01-preview');
  assertAzureAuth(fake.seen[0]!);
});

test("azure: the client's query is kept, its api-version replaced", { timeout: 30_000 }, async (t) => {
  const { fake, gw } = await setupAzure(t);
  const res = await request(`${gw.url()}/v1/chat/completions?api-version=1999-01-01&extra=1`, {
    method: 'POST', headers: { 'content-type': 'application/json', 'api-key': CLIENT_KEY },
    body: JSON.stringify({ model: 'az', messages: [{ role: 'user', content: 'hi' }] }),
  });
  assert.equal(res.statusCode, 200);
  await res.body.text();
  const q = new URLSearchParams(fake.seen[0]!.url.split('?')[1]);
  assert.equal(q.getAll('api-version').join(), '2024-10-21');
  assert.equal(q.get('extra'), '1');
  assertAzureAuth(fake.seen[0]!);
});

test('azure: 429 keeps its status and retry-after; a content-filter 400 passes as a 400', { timeout: 30_000 }, async (t) => {
  const { fake, client } = await setupAzure(t);
  fake.status.next = 429;
  const limited = await client.chat.completions.create({ model: 'az', messages: [{ role: 'user', content: 'hi' }] }).then(() => null, (e: unknown) => e);
  assert.ok(limited instanceof OpenAI.APIError);
  assert.equal(limited.status, 429);
  assert.equal(limited.headers?.get('retry-after'), '7');
  fake.status.next = 400;
  const filtered = await client.chat.completions.create({ model: 'az', messages: [{ role: 'user', content: 'hi' }] }).then(() => null, (e: unknown) => e);
  assert.ok(filtered instanceof OpenAI.APIError);
  assert.equal(filtered.status, 400);
});

test('azure: the Responses API goes to the v1 surface with the deployment as the model', { timeout: 30_000 }, async (t) => {
  const { fake, client } = await setupAzure(t);
  const r = await client.responses.create({ model: 'az', input: 'hi' });
  assert.equal(r.output_text, 'Hello Azure');
  assert.equal(fake.seen[0]!.url, '/openai/v1/responses');
  assert.equal(fake.seen[0]!.body.model, 'dep-4o');
  assert.equal(fake.seen[0]!.body.input, 'hi');
  assertAzureAuth(fake.seen[0]!);
});

function azureModel(extra: Partial<LlmModelSpec> = {}): LlmModelSpec {
  return {
    name: 'az', provider: 'azure', upstreamModel: 'gpt-4o', origin: 'https://res.openai.azure.com', basePath: '', host: 'res.openai.azure.com',
    apiKey: new Secret(AZURE_KEY), headers: {}, timeoutMs: 1000, passthrough: false, retries: 0, retryBackoffMs: 0, maxRetryWaitMs: 0, price: null, limits: LLM_LIMIT_DEFAULTS,
    azure: { deployment: 'my dep', apiVersion: '2024-10-21' }, ...extra,
  };
}

test('openAICall: azure deployment paths, the v1 Responses path, and the other providers', () => {
  const az = azureModel();
  assert.deepEqual(openAICall(az, 'chat/completions', ''), {
    path: '/openai/deployments/my%20dep/chat/completions?api-version=2024-10-21', headers: { 'api-key': AZURE_KEY }, model: 'gpt-4o',
  });
  assert.equal(openAICall(az, 'embeddings', '?x=1').path, '/openai/deployments/my%20dep/embeddings?x=1&api-version=2024-10-21');
  // Responses live on the v1 surface: no deployment segment, no dated api-version; the deployment is the model.
  assert.deepEqual(openAICall(az, 'responses', ''), { path: '/openai/v1/responses', headers: { 'api-key': AZURE_KEY }, model: 'my dep' });
  assert.equal(openAICall(az, 'responses', '?foo=bar').path, '/openai/v1/responses?foo=bar');
  const { azure: _, ...plain } = az;
  const openai: LlmModelSpec = { ...plain, provider: 'openai', basePath: '/v1' };
  assert.deepEqual(openAICall(openai, 'responses', ''), { path: '/v1/responses', headers: { authorization: `Bearer ${AZURE_KEY}` }, model: 'gpt-4o' });
  assert.deepEqual(openAICall({ ...openai, apiKey: null }, 'chat/completions', '?a=b'), { path: '/v1/chat/completions?a=b', headers: {}, model: 'gpt-4o' });
});
