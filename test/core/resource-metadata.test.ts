// The resource identifier of a protected route (RFC 9728, MCP "canonical server URI"): the
// listener's scheme (x-forwarded-proto is not trusted), the Host the client addressed
// without the scheme's default port, and the route prefix; the metadata URL inserts the
// well-known path between the host and that prefix. A Host that is not a plain authority
// names nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { RouteSpec } from '../../src/config/index.js';
import type { RequestContext } from '../../src/core/context.js';
import { requestOrigin, resourceIdentifier, resourceMetadataDocument, resourceMetadataUrl } from '../../src/core/resource-metadata.js';

const ctx = (host: string | undefined, secure = false, extra: Record<string, string> = {}) =>
  ({ secure, req: { headers: { ...(host !== undefined && { host }), ...extra } } }) as unknown as RequestContext;
const route = (pathPrefix: string | null) => ({ pathPrefix }) as RouteSpec;

test('the resource is scheme + Host + prefix; the metadata URL inserts the well-known path', () => {
  assert.equal(resourceIdentifier(ctx('gw.example.com:8080'), route('/mcp')), 'http://gw.example.com:8080/mcp');
  assert.equal(resourceMetadataUrl(ctx('gw.example.com:8080'), route('/mcp')), 'http://gw.example.com:8080/.well-known/oauth-protected-resource/mcp');
  assert.equal(resourceIdentifier(ctx('GW.Example.com', true), route('/a/mcp')), 'https://gw.example.com/a/mcp');
  // A route at / (prefix '') or with no path condition is the origin itself, without a trailing slash.
  assert.equal(resourceIdentifier(ctx('gw.example.com', true), route('')), 'https://gw.example.com');
  assert.equal(resourceMetadataUrl(ctx('gw.example.com', true), route(null)), 'https://gw.example.com/.well-known/oauth-protected-resource');
  assert.equal(requestOrigin(ctx('[::1]:9000')), 'http://[::1]:9000');
});

test('the default port of the scheme is dropped; x-forwarded-proto is ignored', () => {
  assert.equal(requestOrigin(ctx('gw.example.com:443', true)), 'https://gw.example.com');
  assert.equal(requestOrigin(ctx('gw.example.com:80')), 'http://gw.example.com');
  assert.equal(requestOrigin(ctx('gw.example.com:443')), 'http://gw.example.com:443');
  assert.equal(requestOrigin(ctx('gw.example.com', false, { 'x-forwarded-proto': 'https' })), 'http://gw.example.com');
});

test('a missing or odd Host names no resource', () => {
  for (const host of [undefined, '', 'a b', 'evil.com"', 'evil.com/x', 'user@host', 'host:port', '-bad.example']) {
    assert.equal(requestOrigin(ctx(host)), null, String(host));
    assert.equal(resourceMetadataUrl(ctx(host), route('/mcp')), null);
  }
});

test('the document: resource, authorization_servers, bearer_methods_supported first; a backend cannot replace them', () => {
  const doc = resourceMetadataDocument('https://gw/mcp', { authorizationServers: ['https://idp'], scopes: [] }, { resource: 'https://evil', resource_name: 'x' });
  assert.deepEqual(doc, { resource: 'https://gw/mcp', authorization_servers: ['https://idp'], bearer_methods_supported: ['header'], resource_name: 'x' });
  assert.deepEqual(Object.keys(doc), ['resource', 'authorization_servers', 'bearer_methods_supported', 'resource_name']);
  // The scopes the route's jwt policies require are the scopes it supports; a backend cannot replace them either.
  const scoped = resourceMetadataDocument('https://gw/mcp', { authorizationServers: ['https://idp'], scopes: ['mcp:tools', 'mcp:read'] }, { scopes_supported: ['all'] });
  assert.deepEqual(scoped.scopes_supported, ['mcp:tools', 'mcp:read']);
});
