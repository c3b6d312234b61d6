// Regression (issue 10, item 6; RELIABILITY 3): a client that stops reading a translated
// stream kept both sides open past the listener's idle timeout (the relay's chunk iterator
// spun on undici's empty resume chunks and starved the timers). Now, on every stream path,
// translated or passed through: the upstream is paused (backpressure: the fake writes only
// while its socket drains), then the idle timeout closes the client and aborts the upstream.
// The gateway runs in its own process, so a stalled event loop fails the test at its timeout.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { gatewayYaml, MODEL_OF, spawnYamlGateway, startProviderFake, startStream, textEvent, writeForever, type Provider } from './provider-fakes.js';

type Front = 'chat' | 'messages' | 'responses';

const PATHS: [Front, Provider][] = [
  // translated
  ['chat', 'anthropic'], ['chat', 'gemini'], ['chat', 'bedrock'],
  ['messages', 'openai'], ['messages', 'gemini'],
  ['responses', 'anthropic'], ['responses', 'bedrock'],
  // passed through
  ['chat', 'openai'], ['messages', 'anthropic'],
];

const PATH_OF: Record<Front, string> = { chat: '/v1/chat/completions', messages: '/v1/messages', responses: '/v1/responses' };

function body(front: Front, model: string): string {
  if (front === 'messages') return JSON.stringify({ model, max_tokens: 10, stream: true, messages: [{ role: 'user', content: 'hi' }] });
  if (front === 'responses') return JSON.stringify({ model, stream: true, input: 'hi' });
  return JSON.stringify({ model, stream: true, messages: [{ role: 'user', content: 'hi' }] });
}

interface StalledClient {
  /** The status line of the response. */
  status: Promise<string>;
  /** Reads on again; resolves when the gateway's side has closed and everything was read. */
  drainToClose(): Promise<void>;
}

/** Sends a streaming request on a raw socket and stops reading once the response has begun. */
function requestThenStopReading(port: number, front: Front, model: string): StalledClient {
  const s = body(front, model);
  const sock = net.connect(port, '127.0.0.1');
  let head = '';
  const closed = new Promise<void>((resolve) => sock.once('close', () => resolve()));
  sock.on('error', () => { /* a reset is a close too */ });
  const status = new Promise<string>((resolve) => {
    const onData = (d: Buffer): void => {
      head += d.toString('latin1');
      if (!head.includes('\r\n\r\n')) return;
      // A client that never reads again: the kernel buffers fill, then the gateway's writes stall.
      sock.pause();
      sock.off('data', onData);
      resolve(head.slice(0, head.indexOf('\r\n')));
    };
    sock.on('data', onData);
    void closed.then(() => resolve(head.slice(0, head.indexOf('\r\n'))));
  });
  sock.write(`POST ${PATH_OF[front]} HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(s)}\r\n\r\n${s}`);
  return { status, drainToClose: () => { sock.resume(); return closed; } };
}

test('a client that stops reading a stream: upstream paused, then both sides closed by the idle timeout, on every stream path', { timeout: 180_000 }, async (t) => {
  const fake = await startProviderFake();
  fake.on((call, res) => {
    startStream(call.provider, res);
    let n = 0;
    writeForever(res, () => textEvent(call.provider, `word ${n++} `.repeat(300)));
  });
  const gw = await spawnYamlGateway(gatewayYaml(fake, { listener: '    limits: { idleTimeout: 1s }\n' }));
  t.after(async () => { await gw.stop(); await fake.close(); });
  const port = Number(new URL(gw.url).port);
  // One at a time: each pushes megabytes through the gateway until the socket buffers are
  // full, and the idle timeout must not catch a request still waiting for its turn.
  for (const [i, [front, provider]] of PATHS.entries()) {
    const what = `${front} → ${provider}`;
    const client = requestThenStopReading(port, front, MODEL_OF[provider]);
    assert.equal(await client.status, 'HTTP/1.1 200 OK', what);
    assert.equal(fake.calls.length, i + 1, what);
    // The upstream call is aborted by the idle timeout, not run on (the fake would write forever).
    await fake.calls[i]!.aborted;
    // And the gateway closed the client's connection: read on, and it ends.
    await client.drainToClose();
  }
  assert.equal((await fetch(`${gw.adminUrl!}/healthz`)).status, 200);
});
