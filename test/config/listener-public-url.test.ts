// listeners[].publicUrl: an origin (scheme, host, optional port), kept in the routes as the
// origin clients reach them at (host lowercased, the scheme's default port dropped); a path,
// another scheme or an unparsable host is a config error at the key.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { configError, issueAt, load } from './support.js';

const yaml = (publicUrl: string) => `gateway: { admin: off }
listeners:
  - name: edge
    port: 0
    publicUrl: "${publicUrl}"
    routes:
      - { name: web, match: { path: /web }, backend: app }
backends:
  app:
    http: { url: "http://127.0.0.1:9" }
`;

test('publicUrl becomes the routes\' origin, as a client would write it', () => {
  for (const [given, origin] of [
    ['https://Gateway.Example.com', 'https://gateway.example.com'],
    ['https://gateway.example.com:443/', 'https://gateway.example.com'],
    ['http://gw.internal:8080', 'http://gw.internal:8080'],
    ['https://[::1]:8443', 'https://[::1]:8443'],
  ]) {
    assert.equal(load(yaml(given!)).listeners[0]!.routes[0]!.publicOrigin, origin, given);
  }
  const plain = load(yaml('https://x.example').replace(/ {4}publicUrl: .*\n/, ''));
  assert.equal(plain.listeners[0]!.routes[0]!.publicOrigin, null);
});

test('a publicUrl with a path, another scheme or no host is refused at the key', () => {
  for (const bad of ['https://gw.example.com/mcp', 'ftp://gw.example.com', 'https://', 'gw.example.com', 'https://gw.example.com?x=1']) {
    const err = configError(yaml(bad));
    const issue = issueAt(err, 'listeners[0].publicUrl');
    assert.match(issue.message, /origin|valid URL/, `${bad}: ${issue.message}`);
  }
});
