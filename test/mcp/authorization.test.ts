// MCP authorization (MCP 2025-06-18 / 2025-11-25 "Authorization", RFC 9728): an MCP route
// with a jwt policy is an OAuth protected resource. Its 401 challenge names its Protected
// Resource Metadata, served at /.well-known/oauth-protected-resource<P>; tokens must be for
// its audience; the client's token never reaches the MCP server behind it. Routes without a
// jwt policy, and backends that are not MCP, have no metadata. A jwt policy's required
// scopes are in the challenge and the metadata (`scopes_supported`), and a valid token
// without them gets 403 `insufficient_scope` (RFC 6750 §3.1), as the MCP spec asks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { request } from 'undici';
import { SignJWT, exportJWK, generateKeyPair } from 'jose';
import { discoverOAuthProtectedResourceMetadata, extractWWWAuthenticateParams, selectResourceURL } from '@modelcontextprotocol/sdk/client/auth.js';
import { startGateway, type TestGateway } from '../helpers/gateway.js';
import { connectClient } from './fixtures/gateway.js';
import { authorizationSeen, startStreamableServer, type RunningFixture } from './fixtures/servers.js';

const ISS = 'https://idp.test';
const idp = await generateKeyPair('RS256');
const other = await generateKeyPair('RS256');
const jwk = { ...(await exportJWK(idp.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };

const token = (aud: string, key = idp.privateKey, claims: Record<string, unknown> = { scope: 'mcp' }) => new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: 'k1' })
  .setIssuer(ISS).setAudience(aud).setSubject('alice@example.com').setIssuedAt().setExpirationTime('5m').sign(key);

/** `audience`: what the jwt policy accepts (the MCP route's URL once the port is known). */
const config = (mcpUrl: string, webUrl: string, audience: string) => `
gateway: { admin: off }
listeners:
  - name: edge
    port: 0
    routes:
      - { name: tools, match: { path: /mcp }, backend: tools, policies: [sso] }
      - { name: open, match: { path: /open }, backend: open }
      - { name: keyed, match: { path: /keyed }, backend: keyed, policies: [keys] }
      - { name: web, match: { path: /web }, backend: web, policies: [sso] }
      - { name: scoped, match: { path: /scoped }, backend: open, policies: [scoped] }
backends:
  tools:
    mcp:
      servers:
        - { name: alpha, url: "${mcpUrl}" }
  open:
    mcp:
      servers:
        - { name: alpha, url: "${mcpUrl}" }
  keyed:
    mcp:
      servers:
        - { name: alpha, url: "${mcpUrl}" }
  web:
    http: { url: "${webUrl}" }
policies:
  sso:
    jwt:
      issuer: ${ISS}
      audiences: ["${audience}"]
      jwks: { keys: [${JSON.stringify(jwk)}] }
  scoped:
    jwt:
      issuer: ${ISS}
      audiences: [scoped-mcp]
      scopes: [mcp:tools, mcp:read]
      jwks: { keys: [${JSON.stringify(jwk)}] }
  keys:
    apiKey:
      stored: false
      keys: [{ name: k, key: "key-0123456789abcdef" }]
`;

interface Setup { g: TestGateway; alpha: RunningFixture; web: http.Server; webSeen: (string | undefined)[]; base: string }

async function setup(): Promise<Setup> {
  const alpha = await startStreamableServer({ name: 'alpha' });
  const webSeen: (string | undefined)[] = [];
  const web = http.createServer((req, res) => { webSeen.push(req.url); res.writeHead(200, { 'content-type': 'text/plain' }).end('web'); });
  await new Promise<void>((r) => web.listen(0, '127.0.0.1', r));
  const webUrl = `http://127.0.0.1:${(web.address() as AddressInfo).port}`;
  const g = await startGateway(config(alpha.url, webUrl, 'placeholder'));
  // The resource is the route's URL, which names the port: set the audience once it is known.
  const base = g.url();
  g.writeConfig(config(alpha.url, webUrl, `${base}/mcp`));
  const reloaded = await g.gw.reload();
  assert.ok(reloaded.ok, JSON.stringify(reloaded));
  assert.equal(g.url(), base, 'the listener kept its port');
  return { g, alpha, web, webSeen, base };
}

async function teardown(s: Setup): Promise<void> {
  await s.g.close();
  await s.alpha.close();
  await new Promise<void>((r) => s.web.close(() => r()));
}

const INIT = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 't', version: '1' } } });

async function post(url: string, headers: Record<string, string> = {}) {
  const r = await request(url, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers }, body: INIT });
  return { status: r.statusCode, headers: r.headers, body: await r.body.text() };
}

test('a 401 from a jwt MCP route names its metadata; the metadata is the RFC 9728 document the SDK client reads', { timeout: 30_000 }, async (t) => {
  const s = await setup();
  t.after(() => teardown(s));
  const metadataUrl = `${s.base}/.well-known/oauth-protected-resource/mcp`;

  const refused = await post(`${s.base}/mcp`);
  assert.equal(refused.status, 401);
  assert.equal(refused.headers['www-authenticate'], `Bearer realm="agentedge", resource_metadata="${metadataUrl}"`);
  assert.equal(JSON.parse(refused.body).jsonrpc, '2.0', 'still a JSON-RPC error');
  // What the SDK's client makes of the challenge.
  const params = extractWWWAuthenticateParams(new Response(null, { status: 401, headers: { 'www-authenticate': String(refused.headers['www-authenticate']) } }));
  assert.equal(params.resourceMetadataUrl?.href, metadataUrl);

  const r = await request(metadataUrl);
  assert.equal(r.statusCode, 200);
  assert.match(String(r.headers['content-type']), /^application\/json/);
  assert.equal(r.headers['cache-control'], 'public, max-age=60');
  assert.equal(r.headers['access-control-allow-origin'], '*');
  const doc = await r.body.json() as Record<string, unknown>;
  assert.deepEqual(doc, {
    resource: `${s.base}/mcp`,
    authorization_servers: [ISS],
    bearer_methods_supported: ['header'],
    resource_name: 'agentedge MCP (tools)',
  });

  // The SDK's discovery (path-aware well-known URI, no header) and its resource check.
  const found = await discoverOAuthProtectedResourceMetadata(new URL(`${s.base}/mcp`));
  assert.equal(found.resource, `${s.base}/mcp`);
  assert.deepEqual(found.authorization_servers, [ISS]);
  const selected = await selectResourceURL(new URL(`${s.base}/mcp`), {} as never, found);
  assert.equal(selected?.href, `${s.base}/mcp`);

  // The resource is named by the Host the client used; HEAD and the CORS preflight answer too.
  const port = s.g.port();
  const viaLocalhost = await request(metadataUrl, { headers: { host: `localhost:${port}` } });
  assert.equal((await viaLocalhost.body.json() as { resource: string }).resource, `http://localhost:${port}/mcp`);
  const head = await request(metadataUrl, { method: 'HEAD' });
  assert.equal(head.statusCode, 200);
  assert.equal(await head.body.text(), '');
  const preflight = await request(metadataUrl, { method: 'OPTIONS', headers: { origin: 'https://app.example', 'access-control-request-method': 'GET', 'access-control-request-headers': 'mcp-protocol-version' } });
  assert.equal(preflight.statusCode, 204);
  assert.equal(preflight.headers['access-control-allow-origin'], '*');
  assert.equal(preflight.headers['access-control-allow-headers'], 'mcp-protocol-version');
  await preflight.body.dump();
});

test('tokens must be for this resource: another audience, issuer key or none is 401; a good token reaches the tools, never the server', { timeout: 30_000 }, async (t) => {
  const s = await setup();
  t.after(() => teardown(s));
  const resource = `${s.base}/mcp`;
  for (const bad of [await token('agentedge'), await token(`${s.base}/open`), await token(`${s.base}`), await token(resource, other.privateKey)]) {
    const r = await post(`${s.base}/mcp`, { authorization: `Bearer ${bad}` });
    assert.equal(r.status, 401, r.body);
    assert.match(String(r.headers['www-authenticate']), /resource_metadata="[^"]+\/\.well-known\/oauth-protected-resource\/mcp"/);
  }

  authorizationSeen.length = 0;
  const good = await token(resource);
  const client = await connectClient(resource, { headers: { authorization: `Bearer ${good}` } });
  try {
    const names = (await client.listTools()).tools.map((x) => x.name);
    assert.ok(names.includes('alpha__echo'), names.join());
    assert.deepEqual((await client.callTool({ name: 'alpha__echo', arguments: { text: 'hi' } })).content, [{ type: 'text', text: 'alpha:hi' }]);
  } finally {
    await client.close();
  }
  assert.ok(authorizationSeen.length > 0, 'the server was reached');
  assert.deepEqual(authorizationSeen.filter((a) => a !== undefined), [], 'the client\'s token never reached the MCP server');
});

test('no metadata for routes without a jwt policy, non-MCP backends, other paths; their challenges stay plain', { timeout: 30_000 }, async (t) => {
  const s = await setup();
  t.after(() => teardown(s));
  const wk = `${s.base}/.well-known/oauth-protected-resource`;
  for (const path of ['/open', '/keyed', '/web', '', '/mcp/sse', '/mcp/', '/mcpx']) {
    const r = await request(`${wk}${path}`);
    assert.equal(r.statusCode, 404, `${wk}${path}`);
    await r.body.dump();
  }
  // A POST is not a metadata request: routed as usual (no route here).
  const posted = await request(`${wk}/mcp`, { method: 'POST', body: '{}' });
  assert.equal(posted.statusCode, 404);
  await posted.body.dump();

  const keyed = await post(`${s.base}/keyed`);
  assert.equal(keyed.status, 401);
  assert.equal(keyed.headers['www-authenticate'], 'Bearer realm="agentedge"');
  const web = await request(`${s.base}/web/x`);
  assert.equal(web.statusCode, 401);
  assert.equal(web.headers['www-authenticate'], 'Bearer realm="agentedge"', 'an http backend is no MCP protected resource');
  await web.body.dump();
  assert.deepEqual(s.webSeen, []);
  // The open MCP route needs nothing.
  assert.equal((await post(`${s.base}/open`)).status, 200);
});

test('required scopes: named in the challenge and the metadata; a valid token without them gets 403 insufficient_scope', { timeout: 30_000 }, async (t) => {
  const s = await setup();
  t.after(() => teardown(s));
  const metadataUrl = `${s.base}/.well-known/oauth-protected-resource/scoped`;
  const none = await post(`${s.base}/scoped`);
  assert.equal(none.status, 401);
  assert.equal(none.headers['www-authenticate'], `Bearer realm="agentedge", scope="mcp:tools mcp:read", resource_metadata="${metadataUrl}"`);
  const doc = await (await request(metadataUrl)).body.json() as Record<string, unknown>;
  assert.deepEqual(doc.scopes_supported, ['mcp:tools', 'mcp:read']);

  // A valid token for the route with one of the two scopes: 403, and what the SDK client reads from it.
  const partial = await post(`${s.base}/scoped`, { authorization: `Bearer ${await token('scoped-mcp', idp.privateKey, { scope: 'mcp:tools other' })}` });
  assert.equal(partial.status, 403);
  const challenge = String(partial.headers['www-authenticate']);
  assert.equal(challenge, `Bearer realm="agentedge", error="insufficient_scope", scope="mcp:tools mcp:read", resource_metadata="${metadataUrl}"`);
  const params = extractWWWAuthenticateParams(new Response(null, { status: 403, headers: { 'www-authenticate': challenge } }));
  assert.equal(params.error, 'insufficient_scope');
  assert.equal(params.scope, 'mcp:tools mcp:read');
  const body = JSON.parse(partial.body) as { jsonrpc: string; error: { message: string } };
  assert.equal(body.jsonrpc, '2.0', 'a JSON-RPC error');
  assert.match(body.error.message, /scopes/);
  // A token for another route's audience is not valid here: 401, not 403.
  assert.equal((await post(`${s.base}/scoped`, { authorization: `Bearer ${await token(`${s.base}/mcp`, idp.privateKey, { scope: 'mcp:tools mcp:read' })}` })).status, 401);

  // Both scopes, in `scope` or as an `scp` list: the MCP client works.
  for (const claims of [{ scope: 'mcp:read mcp:tools' }, { scp: ['mcp:tools', 'mcp:read'] }]) {
    const bearer = await token('scoped-mcp', idp.privateKey, claims);
    const c = await connectClient(`${s.base}/scoped`, { headers: { authorization: `Bearer ${bearer}` } });
    try {
      assert.ok((await c.listTools()).tools.some((x) => x.name === 'alpha__echo'));
    } finally {
      await c.close();
    }
  }
});

test('behind a proxy that terminates TLS, the listener\'s publicUrl names the resource and its metadata', { timeout: 30_000 }, async (t) => {
  const alpha = await startStreamableServer({ name: 'alpha' });
  const g = await startGateway(`
gateway: { admin: off }
listeners:
  - name: edge
    port: 0
    publicUrl: https://Gateway.Example.com:443/
    routes:
      - { name: tools, match: { path: /mcp }, backend: tools, policies: [sso] }
backends:
  tools:
    mcp:
      servers:
        - { name: alpha, url: "${alpha.url}" }
policies:
  sso:
    jwt:
      issuer: ${ISS}
      audiences: [https://gateway.example.com/mcp]
      jwks: { keys: [${JSON.stringify(jwk)}] }
`);
  t.after(async () => { await g.close(); await alpha.close(); });
  const refused = await post(`${g.url()}/mcp`);
  assert.equal(refused.status, 401);
  assert.equal(refused.headers['www-authenticate'], 'Bearer realm="agentedge", resource_metadata="https://gateway.example.com/.well-known/oauth-protected-resource/mcp"');
  // The proxy forwards the metadata request as plain HTTP with its own Host: the document names the public resource.
  const doc = await (await request(`${g.url()}/.well-known/oauth-protected-resource/mcp`, { headers: { host: 'internal:8080' } })).body.json() as { resource: string };
  assert.equal(doc.resource, 'https://gateway.example.com/mcp');
  // A token for the public resource works.
  const c = await connectClient(`${g.url()}/mcp`, { headers: { authorization: `Bearer ${await token('https://gateway.example.com/mcp')}` } });
  try {
    assert.ok((await c.listTools()).tools.length > 0);
  } finally {
    await c.close();
  }
});
