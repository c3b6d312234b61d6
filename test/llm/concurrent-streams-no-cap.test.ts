// LLM streams are long-lived and providers take thousands at once, so by default a model
// has no connection cap: 300 concurrent streams through one model are all in flight at
// the upstream together (the old default of 128 upstream connections queued the rest,
// waiting for a stream to end), and all complete once the fake lets them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Agent, request } from 'undici';
import { holdGate } from '../helpers/held-upstream.js';
import { startGateway } from '../helpers/gateway.js';
import { answerChat } from './overload-support.js';
import { llmConfig, startFakeOpenAI } from './support.js';

const STREAMS = 300;

test(`${STREAMS} concurrent streams to one model all reach the upstream at once`, { timeout: 90_000 }, async (t) => {
  const fake = await startFakeOpenAI();
  const gate = holdGate();
  fake.on('/v1/chat/completions', (req, res) => { void gate.hold().then(() => answerChat(req, res)); });
  t.after(async () => { gate.release(); await fake.close(); });
  const gw = await startGateway(llmConfig(fake));
  const client = new Agent({ connections: STREAMS + 10 });
  t.after(async () => { await gw.close(); await client.close(); });

  const body = JSON.stringify({ model: 'fast', stream: true, messages: [{ role: 'user', content: 'hi' }] });
  const streams = Array.from({ length: STREAMS }, async () => {
    const r = await request(`${gw.url()}/v1/chat/completions`, { method: 'POST', body, headers: { 'content-type': 'application/json' }, dispatcher: client });
    return { status: r.statusCode, text: await r.body.text() };
  });
  await gate.arrivals(STREAMS, 60_000);
  assert.equal(gate.arrived, STREAMS);

  gate.release();
  const done = await Promise.all(streams);
  for (const s of done) {
    assert.equal(s.status, 200);
    assert.ok(s.text.includes('Hello') && s.text.trimEnd().endsWith('data: [DONE]'), s.text.slice(0, 200));
  }
});
