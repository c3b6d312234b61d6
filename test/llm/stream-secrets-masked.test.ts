// Secret leakage (RELIABILITY 27) through streamed answers: an upstream that echoes the key
// the call sent it inside a stream, raw or encoded, and split across two writes in the
// middle of an event, gets it masked with as many `*` before the client sees it, on streams
// passed through (OpenAI chat, Anthropic messages, Responses) and translated (chat from
// Anthropic and Gemini, messages from OpenAI, Responses from Anthropic) alike.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { secretForms } from '../../src/config/index.js';
import { startGateway } from '../helpers/gateway.js';
import { gatewayYaml, KEY_OF, MODEL_OF, startProviderFake, startStream, textEvent } from './provider-fakes.js';

type Front = 'chat' | 'messages' | 'responses';
const PATH_OF: Record<Front, string> = { chat: '/v1/chat/completions', messages: '/v1/messages', responses: '/v1/responses' };

function body(front: Front, model: string): string {
  if (front === 'messages') return JSON.stringify({ model, max_tokens: 10, stream: true, messages: [{ role: 'user', content: 'hi' }] });
  if (front === 'responses') return JSON.stringify({ model, stream: true, input: 'hi' });
  return JSON.stringify({ model, stream: true, messages: [{ role: 'user', content: 'hi' }] });
}

function echo(key: string): string {
  return `raw ${key} b64 ${Buffer.from(key).toString('base64')} bearer ${Buffer.from(`Bearer ${key}`).toString('base64')} url ${encodeURIComponent(key)}`;
}

const PATHS: [Front, keyof typeof KEY_OF][] = [
  ['chat', 'openai'], ['messages', 'anthropic'], ['responses', 'openai'],
  ['chat', 'anthropic'], ['chat', 'gemini'], ['messages', 'openai'], ['responses', 'anthropic'],
];

test('a stream echoing the call\'s key reaches the client masked, passed through or translated, split mid-event or not', { timeout: 60_000 }, async (t) => {
  const fake = await startProviderFake();
  fake.on((call, res) => {
    const key = KEY_OF[call.provider as keyof typeof KEY_OF];
    if (call.url.startsWith('/v1/responses')) {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      const ev = (type: string, data: Record<string, unknown>, seq: number): string => `event: ${type}\ndata: ${JSON.stringify({ type, sequence_number: seq, ...data })}\n\n`;
      const text = ev('response.output_text.delta', { item_id: 'msg_1', output_index: 0, content_index: 0, delta: echo(key) }, 1);
      res.write(ev('response.created', { response: { id: 'resp_1', object: 'response', status: 'in_progress', output: [] } }, 0));
      const cut = text.indexOf(key) + 7;
      res.write(text.slice(0, cut));
      setImmediate(() => res.end(text.slice(cut) + ev('response.completed', { response: { id: 'resp_1', object: 'response', status: 'completed', output: [], usage: { input_tokens: 1, output_tokens: 1, total_tokens: 2 } } }, 2)));
      return;
    }
    startStream(call.provider, res);
    const text = String(textEvent(call.provider, echo(key)));
    const cut = text.indexOf(key) + 7;
    res.write(text.slice(0, cut));
    setImmediate(() => {
      res.write(text.slice(cut));
      if (call.provider === 'anthropic') res.end(`event: message_delta\ndata: {"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":5}}\n\nevent: message_stop\ndata: {"type":"message_stop"}\n\n`);
      else if (call.provider === 'gemini') res.end(`data: {"candidates":[{"content":{"role":"model","parts":[{"text":"."}]},"finishReason":"STOP","index":0}],"usageMetadata":{"promptTokenCount":1,"candidatesTokenCount":1,"totalTokenCount":2}}\n\n`);
      else res.end(`data: {"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}\n\ndata: [DONE]\n\n`);
    });
  });
  const gw = await startGateway(gatewayYaml(fake));
  t.after(async () => { await gw.close(); await fake.close(); });
  for (const [front, provider] of PATHS) {
    const what = `${front} → ${provider}`;
    const res = await fetch(gw.url() + PATH_OF[front], { method: 'POST', headers: { 'content-type': 'application/json' }, body: body(front, MODEL_OF[provider]) });
    assert.equal(res.status, 200, what);
    const text = await res.text();
    const key = KEY_OF[provider];
    assert.deepEqual(secretForms(key).filter((f) => text.includes(f)), [], `${what}: ${text}`);
    assert.match(text, /raw \*{20,} b64 \*{20,}/, `${what}: the echo arrived, masked`);
    assert.ok(!text.includes('event: error') && !text.includes('"error":{'), `${what}: the stream ended normally`);
  }
});
