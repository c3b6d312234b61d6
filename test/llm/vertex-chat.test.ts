// The OpenAI front over Vertex AI, with the OpenAI SDK: Gemini models go to
// …/publishers/google/models/{m}:generateContent (:streamGenerateContent?alt=sse) with the
// Gemini body, Claude models to …/publishers/anthropic/models/{m}:rawPredict
// (:streamRawPredict) with the Messages body minus model plus anthropic_version; every call
// carries `Authorization: Bearer <token>` from the service account, and one token serves
// them all. No API key header and nothing of the client's credentials goes upstream.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { accessLine } from '../http/support.js';
import { CLAUDE_MODEL, CLIENT_KEY, GEMINI_MODEL, setupVertex, vertexPath, type VertexRequest } from './vertex-support.js';

function assertVertexAuth(r: VertexRequest, token: string): void {
  assert.equal(r.headers.authorization, `Bearer ${token}`);
  for (const h of ['x-goog-api-key', 'x-api-key', 'api-key', 'anthropic-version']) assert.equal(r.headers[h], undefined, h);
  assert.ok(!JSON.stringify(r.headers).includes(CLIENT_KEY));
  assert.ok(!JSON.stringify(r.body).includes(CLIENT_KEY));
}

test('vertex gemini: JSON and stream through generateContent / streamGenerateContent', { timeout: 30_000 }, async (t) => {
  const { fake, gw, client } = await setupVertex(t);
  const { data, response } = await client.chat.completions.create(
    { model: 'vgem', messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'hi' }], max_tokens: 50 },
    { headers: { 'x-request-id': 'vertex-gem-1', 'x-goog-api-key': CLIENT_KEY } },
  ).withResponse();
  assert.equal(data.choices[0]!.message.content, 'Hello from Vertex');
  assert.equal(data.model, 'vgem');
  assert.equal(response.headers.get('x-agentedge-provider'), 'vertex');
  const up = fake.received[0]!;
  assert.equal(up.url, vertexPath('google', GEMINI_MODEL, 'generateContent'));
  assert.deepEqual(up.body.contents, [{ role: 'user', parts: [{ text: 'hi' }] }]);
  assert.deepEqual(up.body.systemInstruction, { parts: [{ text: 'Be brief.' }] });
  assert.equal(up.body.generationConfig.maxOutputTokens, 50);
  assertVertexAuth(up, fake.issued[0]!);
  const line = await accessLine(gw, 'vertex-gem-1');
  assert.equal(line.llm.provider, 'vertex');
  assert.equal(line.llm.inputTokens, 28);

  const texts: string[] = [];
  for await (const c of await client.chat.completions.create({ model: 'vgem', messages: [{ role: 'user', content: 'hi' }], stream: true })) {
    texts.push(c.choices[0]?.delta.content ?? '');
  }
  assert.equal(texts.join(''), 'Hello wörld 👋');
  assert.equal(fake.received[1]!.url, vertexPath('google', GEMINI_MODEL, 'streamGenerateContent?alt=sse'));
  assertVertexAuth(fake.received[1]!, fake.issued[0]!);
  assert.deepEqual(fake.problems, []);
});

test('vertex claude: JSON and stream through rawPredict / streamRawPredict', { timeout: 30_000 }, async (t) => {
  const { fake, client } = await setupVertex(t);
  const data = await client.chat.completions.create({ model: 'vclaude', messages: [{ role: 'user', content: 'hi' }], max_tokens: 64, temperature: 0.5 });
  assert.equal(data.choices[0]!.message.content, 'Hello from Claude on Vertex');
  assert.equal(data.model, 'vclaude');
  const up = fake.received[0]!;
  assert.equal(up.url, vertexPath('anthropic', CLAUDE_MODEL, 'rawPredict'));
  assert.equal(up.body.model, undefined);
  assert.equal(up.body.anthropic_version, 'vertex-2023-10-16');
  assert.equal(up.body.max_tokens, 64);
  assert.equal(up.body.temperature, 0.5);
  assert.equal(up.body.messages.length, 1);
  assert.equal(up.body.messages[0].role, 'user');
  assert.match(JSON.stringify(up.body.messages[0].content), /"hi"/);
  assertVertexAuth(up, fake.issued[0]!);

  const texts: string[] = [];
  let usage: { prompt_tokens: number } | undefined;
  for await (const c of await client.chat.completions.create({ model: 'vclaude', messages: [{ role: 'user', content: 'hi' }], stream: true, stream_options: { include_usage: true } })) {
    texts.push(c.choices[0]?.delta.content ?? '');
    if (c.usage) usage = c.usage;
  }
  assert.equal(texts.join(''), 'Hello wörld 👋');
  assert.ok(usage !== undefined && usage.prompt_tokens > 0);
  const s = fake.received[1]!;
  assert.equal(s.url, vertexPath('anthropic', CLAUDE_MODEL, 'streamRawPredict'));
  assert.equal(s.body.stream, true);
  assert.equal(s.body.model, undefined);
  assert.equal(s.body.anthropic_version, 'vertex-2023-10-16');
  assertVertexAuth(s, fake.issued[0]!);
});

test('vertex: one token serves many calls of both models (fetched once)', { timeout: 30_000 }, async (t) => {
  const { fake, client } = await setupVertex(t);
  await Promise.all(['vgem', 'vclaude', 'vgem', 'vclaude', 'vgem'].map((model) =>
    client.chat.completions.create({ model, messages: [{ role: 'user', content: 'hi' }] })));
  await client.chat.completions.create({ model: 'vgem', messages: [{ role: 'user', content: 'again' }] });
  assert.equal(fake.tokenRequests.length, 1);
  assert.equal(fake.received.length, 6);
  for (const r of fake.received) assert.equal(r.headers.authorization, `Bearer ${fake.issued[0]}`);
  assert.deepEqual(fake.problems, []);
});
