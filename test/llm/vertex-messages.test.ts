// The Anthropic front over Vertex, with the Anthropic SDK: Claude models are passed through
// to rawPredict / streamRawPredict (the body as the client sent it, minus model, plus
// anthropic_version; betas pass), count_tokens goes to count-tokens:rawPredict with the
// model in the body, and Gemini models on Vertex are translated (Messages → chat → Gemini).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'undici';
import { CLAUDE_MODEL, CLIENT_KEY, GEMINI_MODEL, setupVertex, vertexPath } from './vertex-support.js';

test('vertex claude on the Anthropic front: JSON pass-through with the Vertex body', { timeout: 30_000 }, async (t) => {
  const { fake, anthropic } = await setupVertex(t);
  const msg = await anthropic.messages.create(
    { model: 'vclaude', max_tokens: 20, system: 'Be brief.', messages: [{ role: 'user', content: 'hi' }], metadata: { user_id: 'u1' } },
    { headers: { 'anthropic-beta': 'context-1m-2025-08-07' } },
  );
  assert.deepEqual(msg.content, [{ type: 'text', text: 'Hello from Claude on Vertex', citations: undefined }].map(({ type, text }) => ({ type, text })));
  const up = fake.received[0]!;
  assert.equal(up.url, vertexPath('anthropic', CLAUDE_MODEL, 'rawPredict'));
  assert.deepEqual(up.body, {
    max_tokens: 20, system: 'Be brief.', messages: [{ role: 'user', content: 'hi' }], metadata: { user_id: 'u1' }, anthropic_version: 'vertex-2023-10-16',
  });
  assert.equal(up.headers.authorization, `Bearer ${fake.issued[0]}`);
  assert.equal(up.headers['anthropic-beta'], 'context-1m-2025-08-07');
  assert.equal(up.headers['anthropic-version'], undefined);
  assert.equal(up.headers['x-api-key'], undefined);
  assert.ok(!JSON.stringify(up.headers).includes(CLIENT_KEY));
});

test('vertex claude on the Anthropic front: stream and count_tokens', { timeout: 30_000 }, async (t) => {
  const { fake, anthropic } = await setupVertex(t);
  const stream = anthropic.messages.stream({ model: 'vclaude', max_tokens: 20, messages: [{ role: 'user', content: 'hi' }] });
  const deltas: string[] = [];
  stream.on('text', (d) => deltas.push(d));
  const final = await stream.finalMessage();
  assert.equal(deltas.join(''), 'Hello wörld 👋');
  assert.equal(final.usage.output_tokens, 9);
  const s = fake.received[0]!;
  assert.equal(s.url, vertexPath('anthropic', CLAUDE_MODEL, 'streamRawPredict'));
  assert.equal(s.body.stream, true);
  assert.equal(s.body.model, undefined);
  assert.equal(s.body.anthropic_version, 'vertex-2023-10-16');

  const count = await anthropic.messages.countTokens({ model: 'vclaude', messages: [{ role: 'user', content: 'hi' }] });
  assert.deepEqual(count, { input_tokens: 42 });
  const c = fake.received[1]!;
  assert.equal(c.url, vertexPath('anthropic', 'count-tokens', 'rawPredict'));
  assert.equal(c.body.model, CLAUDE_MODEL);
  assert.equal(c.body.anthropic_version, 'vertex-2023-10-16');
  assert.equal(c.headers.authorization, `Bearer ${fake.issued[0]}`);
  assert.equal(fake.tokenRequests.length, 1);
});

test("vertex claude: the SDK's ?beta=true marker does not reach Vertex", { timeout: 30_000 }, async (t) => {
  const { fake, gw } = await setupVertex(t);
  const res = await request(`${gw.url()}/v1/messages?beta=true`, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'vclaude', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] }),
  });
  assert.equal(res.statusCode, 200);
  await res.body.text();
  assert.equal(fake.received[0]!.url, vertexPath('anthropic', CLAUDE_MODEL, 'rawPredict'));
});

test('vertex gemini on the Anthropic front is translated to generateContent', { timeout: 30_000 }, async (t) => {
  const { fake, anthropic } = await setupVertex(t);
  const msg = await anthropic.messages.create({ model: 'vgem', max_tokens: 20, messages: [{ role: 'user', content: 'hi' }] });
  assert.equal(msg.content[0]?.type === 'text' ? msg.content[0].text : null, 'Hello from Vertex');
  const up = fake.received[0]!;
  assert.equal(up.url, vertexPath('google', GEMINI_MODEL, 'generateContent'));
  assert.deepEqual(up.body.contents, [{ role: 'user', parts: [{ text: 'hi' }] }]);
  assert.equal(up.headers.authorization, `Bearer ${fake.issued[0]}`);
});
