// The policies of issue 4 on an llm route, end to end with the OpenAI and Anthropic SDKs:
// API keys (config and stored), CEL authorize on the request and on the model, request and
// token rate limits, a USD budget, and the usage ledger.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import Anthropic from '@anthropic-ai/sdk';
import { startGateway } from '../helpers/gateway.js';
import { accessLine } from '../http/support.js';
import { llmConfig, startFakeOpenAI, type FakeOpenAI } from '../llm/support.js';

const GOLD = 'sk-gold-key-0123456789abcdef';
const SILVER = 'sk-silver-key-0123456789abcdef';

function config(fake: FakeOpenAI, policies: string, routePolicies: string): string {
  return llmConfig(fake, `          price: { input: 1, output: 2 }
        - name: forbidden-model
          provider: openai-compatible
          baseUrl: ${fake.baseUrl}
policies:
  keys:
    apiKey:
      keys:
        - { name: gold, key: ${GOLD}, metadata: { team: a, tier: gold } }
        - { name: silver, key: ${SILVER}, metadata: { team: b, tier: silver } }
${policies}`).replace('      - { name: llm, match: { path: /v1 }, backend: models }', `      - { name: llm, match: { path: /v1 }, backend: models, policies: [${routePolicies}] }`);
}

function client(gwUrl: string, key: string): OpenAI {
  return new OpenAI({ baseURL: `${gwUrl}/v1`, apiKey: key, maxRetries: 0, timeout: 10_000 });
}

const hi = { messages: [{ role: 'user' as const, content: 'hi' }] };

test('api key: missing, wrong → 401 in OpenAI shape with WWW-Authenticate; right → 200 with the identity in the log', { timeout: 30_000 }, async (t) => {
  const fake = await startFakeOpenAI();
  const gw = await startGateway(config(fake, '', 'keys'));
  t.after(async () => { await gw.close(); await fake.close(); });
  const none = await fetch(`${gw.url()}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'fast', ...hi }) });
  assert.equal(none.status, 401);
  assert.match(none.headers.get('www-authenticate') ?? '', /^Bearer/);
  const body = await none.json() as { error: { code: string; type: string } };
  assert.equal(body.error.code, 'invalid_api_key');
  assert.equal(body.error.type, 'authentication_error');
  await assert.rejects(client(gw.url(), 'sk-wrong-key-0123456789').chat.completions.create({ model: 'fast', ...hi }), (e: unknown) => e instanceof OpenAI.AuthenticationError);
  assert.equal(fake.received.length, 0, 'refused requests never reach the upstream');
  const { data: ok, response } = await client(gw.url(), GOLD).chat.completions.create({ model: 'fast', ...hi }).withResponse();
  assert.equal(ok.choices[0]!.message.content, 'Hello world');
  // The client's key never reaches the provider.
  assert.equal(fake.received[0]!.headers.authorization, `Bearer sk-backend-secret-key-0123456789`);
  // The access log names the caller (never its key).
  const line = await accessLine(gw, response.headers.get('x-request-id')!);
  assert.equal(line.identity, 'apiKey:gold');
  assert.doesNotMatch(gw.logText(), new RegExp(GOLD));
});

test('api key: the Anthropic SDK\'s x-api-key is accepted; a refusal is Anthropic-shaped', { timeout: 30_000 }, async (t) => {
  const fake = await startFakeOpenAI();
  const gw = await startGateway(config(fake, '', 'keys'));
  t.after(async () => { await gw.close(); await fake.close(); });
  const good = new Anthropic({ baseURL: gw.url(), apiKey: GOLD, maxRetries: 0 });
  const msg = await good.messages.create({ model: 'fast', max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] });
  assert.equal(msg.content[0]!.type, 'text');
  const bad = new Anthropic({ baseURL: gw.url(), apiKey: 'sk-nope-0123456789abcdef', maxRetries: 0 });
  await assert.rejects(bad.messages.create({ model: 'fast', max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] }), (e: unknown) => e instanceof Anthropic.AuthenticationError);
});

test('authorize: request rules (metadata) and model rules (llm.model); deny wins; 403 names no internals', { timeout: 30_000 }, async (t) => {
  const fake = await startFakeOpenAI();
  const gw = await startGateway(config(fake, `  gold-only:
    authorize:
      allow: ['apiKey.metadata.tier == "gold"', 'llm.model == "local"']
      deny: ['llm.model.startsWith("forbidden-")']
`, 'keys, gold-only'));
  t.after(async () => { await gw.close(); await fake.close(); });
  const gold = client(gw.url(), GOLD);
  const silver = client(gw.url(), SILVER);
  await gold.chat.completions.create({ model: 'fast', ...hi });
  // Silver is allowed only by the model rule.
  await silver.chat.completions.create({ model: 'local', ...hi });
  const refused = await silver.chat.completions.create({ model: 'fast', ...hi }).catch((e: unknown) => e);
  assert.ok(refused instanceof OpenAI.PermissionDeniedError);
  assert.doesNotMatch(JSON.stringify(refused.error), /apiKey|metadata|gold|policies/);
  // Deny wins over gold's allow.
  await assert.rejects(gold.chat.completions.create({ model: 'forbidden-model', ...hi }), (e: unknown) => e instanceof OpenAI.PermissionDeniedError);
  assert.equal(fake.received.length, 2);
});

test('rate limit by requests: 429 rate_limit_exceeded with retry-after and x-ratelimit headers', { timeout: 30_000 }, async (t) => {
  const fake = await startFakeOpenAI();
  // Windows are aligned to the clock: per day, a window boundary falls between these calls
  // once a day at midnight UTC, not in one run of 200 as with a minute.
  const gw = await startGateway(config(fake, `  three:
    rateLimit: { key: apiKey.name, requests: 3/day }
`, 'keys, three'));
  t.after(async () => { await gw.close(); await fake.close(); });
  const send = (key: string) => fetch(`${gw.url()}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` }, body: JSON.stringify({ model: 'fast', ...hi }) });
  const statuses: number[] = [];
  let last: Response | null = null;
  for (let i = 0; i < 4; i++) { last = await send(GOLD); statuses.push(last.status); if (i < 3) await last.text(); }
  assert.deepEqual(statuses, [200, 200, 200, 429]);
  const body = await last!.json() as { error: { code: string } };
  assert.equal(body.error.code, 'rate_limit_exceeded');
  assert.ok(Number(last!.headers.get('retry-after')) >= 1);
  assert.equal(last!.headers.get('x-ratelimit-limit-requests'), '3');
  assert.equal(last!.headers.get('x-ratelimit-remaining-requests'), '0');
  // Another key has its own window.
  const other = await send(SILVER);
  assert.equal(other.status, 200);
  assert.equal(other.headers.get('x-ratelimit-remaining-requests'), '2');
});

test('rate limit by tokens: estimated before, trued up after from real usage', { timeout: 30_000 }, async (t) => {
  const fake = await startFakeOpenAI();
  // The fake reports 11 + 7 = 18 tokens a call; the estimate of "hi" is ~8 input tokens.
  const gw = await startGateway(config(fake, `  tokens:
    rateLimit: { tokens: 40/day }
`, 'keys, tokens'));
  t.after(async () => { await gw.close(); await fake.close(); });
  const gold = client(gw.url(), GOLD);
  const first = await gold.chat.completions.create({ model: 'fast', ...hi }).withResponse();
  assert.equal(first.response.headers.get('x-ratelimit-limit-tokens'), '40');
  await gold.chat.completions.create({ model: 'fast', ...hi });
  // 36 of 40 used after the true-up: the third call's estimate does not fit.
  await assert.rejects(gold.chat.completions.create({ model: 'fast', ...hi }), (e: unknown) => e instanceof OpenAI.RateLimitError);
  assert.equal(fake.received.length, 2);
});

test('budget: calls reserve and settle their cost; an exhausted budget is 429 insufficient_quota; usage is in the ledger', { timeout: 30_000 }, async (t) => {
  const fake = await startFakeOpenAI();
  // local: $1 / $2 per million; a call: 11 in + 7 out = $0.000025; the reservation (max_tokens 7) about the same.
  const gw = await startGateway(config(fake, `  team-budget:
    budget: { key: apiKey.metadata.team, usd: 0.00006, period: month }
`, 'keys, team-budget'));
  t.after(async () => { await gw.close(); await fake.close(); });
  const gold = client(gw.url(), GOLD);
  await gold.chat.completions.create({ model: 'local', max_tokens: 7, ...hi });
  await gold.chat.completions.create({ model: 'local', max_tokens: 7, ...hi });
  const refused = await gold.chat.completions.create({ model: 'local', max_tokens: 7, ...hi }).then(() => null, (e: unknown) => e);
  assert.ok(refused instanceof OpenAI.RateLimitError, String(refused));
  assert.equal((refused.error as { code?: string }).code, 'insufficient_quota');
  assert.equal(fake.received.length, 2);
  // Team b has its own budget.
  await client(gw.url(), SILVER).chat.completions.create({ model: 'local', max_tokens: 7, ...hi });
  const rows = await gw.gw.state.queryUsage({ groupBy: 'key' }) as { group: string; calls: number; costUsd: number }[];
  const byKey = Object.fromEntries(rows.map((r) => [r.group, r]));
  assert.equal(byKey.gold!.calls, 3, 'the refused call is in the ledger too');
  assert.ok(Math.abs(byKey.gold!.costUsd - 0.00005) < 1e-9);
  assert.equal(byKey.silver!.calls, 1);
});

test('jwt: a token from the IdP authenticates (claims in CEL); expired, wrong audience or signed by another key → 401; a route with keys and jwt takes either', { timeout: 30_000 }, async (t) => {
  const { SignJWT, exportJWK, generateKeyPair } = await import('jose');
  const idp = await generateKeyPair('RS256');
  const other = await generateKeyPair('RS256');
  const jwk = { ...(await exportJWK(idp.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
  const fake = await startFakeOpenAI();
  const gw = await startGateway(config(fake, `  sso:
    jwt:
      issuer: https://idp.test
      audiences: [agentedge]
      jwks: { keys: [${JSON.stringify(jwk)}] }
  admins:
    authorize:
      allow: ['"llm-admins" in jwt.?groups.orValue([])', 'has(apiKey.name)']
`, 'keys, sso, admins'));
  t.after(async () => { await gw.close(); await fake.close(); });
  const token = (claims: Record<string, unknown>, opts: { aud?: string; exp?: string; key?: Parameters<InstanceType<typeof SignJWT>['sign']>[0] } = {}) =>
    new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: 'k1' }).setIssuer('https://idp.test')
      .setAudience(opts.aud ?? 'agentedge').setSubject('alice@example.com').setIssuedAt().setExpirationTime(opts.exp ?? '5m')
      .sign(opts.key ?? idp.privateKey);
  const admin = await token({ groups: ['llm-admins'] });
  const res = await client(gw.url(), admin).chat.completions.create({ model: 'fast', ...hi });
  assert.equal(res.choices[0]!.message.content, 'Hello world');
  // Authenticated, but not in the group: 403.
  await assert.rejects(client(gw.url(), await token({ groups: ['staff'] })).chat.completions.create({ model: 'fast', ...hi }), (e: unknown) => e instanceof OpenAI.PermissionDeniedError);
  for (const bad of [
    await token({ groups: ['llm-admins'] }, { exp: '-1m' }),
    await token({ groups: ['llm-admins'] }, { aud: 'someone-else' }),
    await token({ groups: ['llm-admins'] }, { key: other.privateKey }),
  ]) {
    await assert.rejects(client(gw.url(), bad).chat.completions.create({ model: 'fast', ...hi }), (e: unknown) => e instanceof OpenAI.AuthenticationError);
  }
  // The same route still takes an API key.
  await client(gw.url(), GOLD).chat.completions.create({ model: 'fast', ...hi });
  // The usage ledger names the JWT caller by its subject.
  const rows = await gw.gw.state.queryUsage({ groupBy: 'key' }) as { group: string; calls: number }[];
  assert.ok(rows.some((r) => r.group === 'alice@example.com'));
});

test('P/models lists only what the caller may use; a model it may not use is a 404', { timeout: 30_000 }, async (t) => {
  const fake = await startFakeOpenAI();
  const gw = await startGateway(config(fake, `  tiers:
    authorize:
      allow: ['apiKey.metadata.tier == "gold"', 'llm.model == "local"']
`, 'keys, tiers'));
  t.after(async () => { await gw.close(); await fake.close(); });
  const ids = async (key: string) => (await client(gw.url(), key).models.list()).data.map((m) => m.id).sort();
  assert.deepEqual(await ids(GOLD), ['fast', 'forbidden-model', 'local']);
  assert.deepEqual(await ids(SILVER), ['local']);
  await client(gw.url(), SILVER).models.retrieve('local');
  await assert.rejects(client(gw.url(), SILVER).models.retrieve('fast'), (e: unknown) => e instanceof OpenAI.NotFoundError);
});

test('passthrough: the header that carried the gateway key never reaches the provider', { timeout: 30_000 }, async (t) => {
  const fake = await startFakeOpenAI();
  const yaml = config(fake, '', 'keys').replace('          headers: { x-extra: from-config }', '          headers: { x-extra: from-config }\n          passthrough: true');
  const gw = await startGateway(yaml);
  t.after(async () => { await gw.close(); await fake.close(); });
  const send = (headers: Record<string, string>) => fetch(`${gw.url()}/v1/chat/completions`, {
    method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ model: 'local', ...hi }),
  });
  // Gateway key in x-api-key, the provider key in Authorization: only the provider key goes on.
  assert.equal((await send({ 'x-api-key': GOLD, authorization: 'Bearer sk-provider-own-key-123456' })).status, 200);
  assert.equal(fake.received[0]!.headers.authorization, 'Bearer sk-provider-own-key-123456');
  assert.equal(fake.received[0]!.headers['x-api-key'], undefined);
  // Gateway key in Authorization and nothing else: the client's Authorization is not forwarded.
  assert.equal((await send({ authorization: `Bearer ${GOLD}` })).status, 200);
  assert.notEqual(fake.received[1]!.headers.authorization, `Bearer ${GOLD}`);
});

test('policies on a backend apply to every route that uses it', { timeout: 30_000 }, async (t) => {
  const fake = await startFakeOpenAI();
  // No policy on the listener or the route: the backend brings the key check.
  const yaml = config(fake, '', 'keys').replace('policies: [keys] }', '}').replace('    llm:\n      models:', '    policies: [keys]\n    llm:\n      models:');
  assert.match(yaml, /models:\n {4}policies: \[keys\]\n {4}llm:/);
  const gw = await startGateway(yaml);
  t.after(async () => { await gw.close(); await fake.close(); });
  await assert.rejects(client(gw.url(), 'sk-wrong-key-0123456789').chat.completions.create({ model: 'fast', ...hi }), (e: unknown) => e instanceof OpenAI.AuthenticationError);
  await client(gw.url(), GOLD).chat.completions.create({ model: 'fast', ...hi });
});
