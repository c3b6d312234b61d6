// A "__proto__" key is refused by the key JSON.parse produces, not by its spelling in the
// text: "\u005f_proto__" and other escapes are a 400 like the literal, in the caller's
// shape, on every LLM front, and never reach the upstream (they used to be forwarded).
// A body whose escapes spell something else is served.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'undici';
import { setup } from './support.js';

const SPELLINGS = [
  '__proto__',
  '\\u005f_proto__',
  '__pr\\u006fto__',
  '\\u005F\\u005F\\u0070\\u0072\\u006F\\u0074\\u006F\\u005F\\u005F',
];

/** Each front's path, a body with `key` nested inside, and the shape of its errors. */
const FRONTS: [string, (key: string) => string, 'openai' | 'anthropic'][] = [
  ['/v1/chat/completions', (k) => `{"model":"fast","messages":[{"role":"user","content":"hi","x":{"${k}":{"polluted":true}}}]}`, 'openai'],
  ['/v1/embeddings', (k) => `{"model":"fast","input":"hi","x":[{"${k}":1}]}`, 'openai'],
  ['/v1/responses', (k) => `{"model":"fast","input":"hi","metadata":{"${k}":"x"}}`, 'openai'],
  ['/v1/messages', (k) => `{"model":"fast","max_tokens":8,"messages":[{"role":"user","content":[{"type":"text","text":"hi","${k}":{}}]}]}`, 'anthropic'],
  ['/v1/messages/count_tokens', (k) => `{"model":"fast","messages":[{"role":"user","content":"hi"}],"${k}":{}}`, 'anthropic'],
];

test('a __proto__ key, however escaped, is a 400 on every front and never forwarded', { timeout: 60_000 }, async (t) => {
  const { fake, gw } = await setup(t);
  for (const [path, body, shape] of FRONTS) {
    for (const key of SPELLINGS) {
      const res = await request(`${gw.url()}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: body(key) });
      const text = await res.body.text();
      assert.equal(res.statusCode, 400, `${path} ${key}: ${text}`);
      const json = JSON.parse(text) as Record<string, any>;
      const error = shape === 'openai' ? json.error : (assert.equal(json.type, 'error'), json.error);
      assert.equal(error.type, 'invalid_request_error');
      assert.match(error.message, /forbidden key "__proto__"/);
    }
  }
  assert.equal(fake.received.length, 0);
});

test('escapes that spell other keys, and look-alike keys, are served', { timeout: 30_000 }, async (t) => {
  const { fake, gw } = await setup(t);
  const body = '{"model":"fast","messages":[{"role":"user","content":"caf\\u00e9 \\u005c_proto__"}],"metadata":{"__proto":"a","_\\u005fprot\\u006f_":"b","proto__":"c"}}';
  const res = await request(`${gw.url()}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  assert.equal(res.statusCode, 200, await res.body.text());
  assert.equal(fake.received.length, 1);
  assert.equal(fake.received[0]!.body.messages[0].content, 'café \\_proto__');
});
