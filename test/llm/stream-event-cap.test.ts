// Regression (issue 10, item 2; RELIABILITY 16): one huge SSE event on a stream cost CPU
// superlinear in its size (5 MB: 0.9 s, 20 MB: 12 s) while the event loop served nobody
// else, because every reader re-searched and re-copied the growing unfinished event on each
// chunk. Every reader of an LLM stream now frames events in linear time with one cap, the
// backend's limits.maxEventBytes: past it the client's stream ends with exactly one error
// event in its own format, and the upstream call is aborted.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeEventStreamMessage } from '../../src/llm/providers/aws-eventstream.js';
import { gatewayYaml, MODEL_OF, spawnYamlGateway, startProviderFake, startStream, textEvent, textEventHead, type FakeCall, type Provider } from './provider-fakes.js';
import type http from 'node:http';

type Front = 'chat' | 'messages' | 'responses';
const PATH_OF: Record<Front, string> = { chat: '/v1/chat/completions', messages: '/v1/messages', responses: '/v1/responses' };

function body(front: Front, model: string): string {
  if (front === 'messages') return JSON.stringify({ model, max_tokens: 10, stream: true, messages: [{ role: 'user', content: 'hi' }] });
  if (front === 'responses') return JSON.stringify({ model, stream: true, input: 'hi' });
  return JSON.stringify({ model, stream: true, messages: [{ role: 'user', content: 'hi' }] });
}

/** The whole stream the client gets, split into events. */
async function streamEvents(base: string, front: Front, model: string): Promise<string[]> {
  const res = await fetch(base + PATH_OF[front], { method: 'POST', headers: { 'content-type': 'application/json' }, body: body(front, model) });
  assert.equal(res.status, 200);
  return (await res.text()).split('\n\n').filter((e) => e.trim() !== '');
}

/** The error events of a stream, in whichever format the front uses. */
function errorEvents(events: string[]): string[] {
  return events.filter((e) => e.startsWith('event: error') || e.includes('"error":{'));
}

const KB = 1024;

/** A streamed answer: one normal text event, then an event that never finishes, `size` bytes and more. */
function hugeEvent(call: FakeCall, res: http.ServerResponse, size: number): void {
  if (call.url.startsWith('/v1/responses')) {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.write(`event: response.created\ndata: ${JSON.stringify({ type: 'response.created', sequence_number: 0, response: { id: 'resp_1', object: 'response', status: 'in_progress', output: [] } })}\n\n`);
    res.write(`event: response.output_text.delta\ndata: {"type":"response.output_text.delta","sequence_number":1,"delta":"`);
  } else {
    startStream(call.provider, res);
    res.write(textEvent(call.provider, 'Hello'));
    if (call.provider === 'bedrock') {
      // One frame larger than the cap: its prelude says so before its bytes arrive.
      res.write(encodeEventStreamMessage({ ':event-type': 'contentBlockDelta', ':content-type': 'application/json', ':message-type': 'event' }, JSON.stringify({ contentBlockIndex: 0, delta: { text: 'x'.repeat(size) } })));
      return;
    }
    res.write(textEventHead(call.provider));
  }
  const piece = 'x'.repeat(64 * KB);
  let sent = 0;
  const pump = (): void => {
    while (!res.destroyed && sent < size) {
      sent += piece.length;
      if (!res.write(piece)) { res.once('drain', pump); return; }
    }
  };
  pump();
}

const PATHS: [Front, Provider][] = [
  // passed through
  ['chat', 'openai'], ['messages', 'anthropic'], ['responses', 'openai'],
  // translated
  ['chat', 'anthropic'], ['chat', 'gemini'], ['chat', 'bedrock'], ['messages', 'openai'], ['responses', 'anthropic'],
];

test('an SSE event past limits.maxEventBytes ends the stream with one error event and aborts the upstream, on every stream path', { timeout: 120_000 }, async (t) => {
  const fake = await startProviderFake();
  fake.on((call, res) => hugeEvent(call, res, 1024 * KB));
  const gw = await spawnYamlGateway(gatewayYaml(fake, { backend: '      limits: { maxEventBytes: 256kb }\n' }));
  t.after(async () => { await gw.stop(); await fake.close(); });
  for (const [i, [front, provider]] of PATHS.entries()) {
    const what = `${front} → ${provider}`;
    const events = await streamEvents(gw.url, front, MODEL_OF[provider]);
    const errors = errorEvents(events);
    assert.equal(errors.length, 1, `${what}: ${JSON.stringify(events.map((e) => e.slice(0, 80)))}`);
    assert.equal(events.at(-1), errors[0], `${what}: the error event is the last`);
    assert.match(errors[0]!, /The upstream service sent an invalid response/, what);
    // The text before the huge event arrived.
    assert.ok(events.some((e) => e.includes('Hello')) || front === 'responses', `${what}: events before the huge one are delivered`);
    // Nothing of the unfinished event reached the client.
    assert.ok(!events.some((e) => e.includes('x'.repeat(1024))), what);
    await fake.calls[i]!.aborted;
  }
});

test('one event of 64 MB without a line break: the default cap ends it, in linear time, while the gateway keeps answering', { timeout: 120_000 }, async (t) => {
  const fake = await startProviderFake();
  const probe: { status: Promise<number> | null } = { status: null };
  const gw = await spawnYamlGateway(gatewayYaml(fake));
  t.after(async () => { await gw.stop(); await fake.close(); });
  fake.on((call, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.write('data: {"choices":[{"index":0,"delta":{"content":"');
    const piece = 'y'.repeat(64 * KB);
    let sent = 0;
    const pump = (): void => {
      while (!res.destroyed && sent < 64 * 1024 * KB) {
        sent += piece.length;
        // Half way to the default cap, the gateway must still answer its health check.
        if (sent === 8 * 1024 * KB) probe.status = fetch(`${gw.adminUrl!}/healthz`).then((r) => r.status);
        if (!res.write(piece)) { res.once('drain', pump); return; }
      }
    };
    pump();
  });
  // An openai model behind the Anthropic front: the translated path of the probe's report.
  const events = await streamEvents(gw.url, 'messages', MODEL_OF.openai);
  assert.equal(errorEvents(events).length, 1);
  assert.equal(events.at(-1)!.split('\n')[0], 'event: error');
  await fake.calls[0]!.aborted;
  assert.ok(probe.status !== null);
  assert.equal(await probe.status, 200);
});
