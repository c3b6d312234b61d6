// Property: whatever the input, loading either returns a config or throws ConfigError;
// never another exception type. Three generators: raw text, YAML-ish token soup, and
// near-valid configs (which reach the compile step: regexes, URLs, TLS paths, durations).
// The test timeout is a hang guard so a hang fails instead of blocking CI; it is not a
// performance bound.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import { stringify } from 'yaml';
import { ConfigError } from '../../src/config/index.js';
import { compileConfig, loadConfigText } from '../../src/gateway/config.js';
import { tempDir } from './support.js';

const dir = tempDir();
const file = join(dir, 'fuzz.yaml');
const env = { PORT: '8080', TOKEN: 'secret-token-123456', EMPTY: '' };
const HANG_GUARD = { timeout: 120_000 };

function loadsOrConfigError(text: string): void {
  try {
    compileConfig(loadConfigText(text, file, env));
  } catch (err) {
    if (!(err instanceof ConfigError)) {
      assert.fail(`input ${JSON.stringify(text)} threw ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`);
    }
  }
}

test('arbitrary text', HANG_GUARD, () => {
  fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 200 }), loadsOrConfigError), { numRuns: 300 });
});

const TOKENS = [
  'listeners:', 'gateway:', 'backends:', 'policies:', 'routes:', 'admin: off', 'admin:', 'name: ', 'port: ', 'host: ',
  'backend: app', 'app:', 'http:', 'url: ', 'tls:', 'cert: ', 'key: ', 'match:', 'path: /', 'headers:', 'regex: ',
  'limits:', 'idleTimeout: ', 'maxBodyBytes: ', 'cors:', 'allowOrigins: ["*"]', 'token: ',
  '\n', '\n  ', '\n    ', '  ', '- ', '{', '}', '[', ']', ',', ': ', '"', "'", '#', '---', '...', '|', '>', '? ',
  '&a ', '*a', '<<: *a', '!!str ', '!!int ', '!custom ', '%YAML 1.2\n', '\t', '\r\n',
  '${PORT}', '${TOKEN}', '${MISSING}', '${MISSING:-d}', '${EMPTY:-x}', '$$', '${', '$', '0', '80', '-1', '1e9', '1.5s',
  'abc', 'http://', 'http://127.0.0.1:9', '(', '[a-', '/dev/null', '.', '~', 'null', 'true', '__proto__', 'constructor',
];

test('YAML-ish token soup', HANG_GUARD, () => {
  fc.assert(fc.property(fc.array(fc.constantFrom(...TOKENS), { maxLength: 60 }).map((t) => t.join('')), loadsOrConfigError), { numRuns: 1000 });
});

// Each field is usually valid and sometimes not, so most configs get past the schema and
// exercise the semantic and compile steps too.
const mostly = <T, U>(good: fc.Arbitrary<T>, bad: fc.Arbitrary<U>): fc.Arbitrary<T | U> => fc.oneof({ arbitrary: good, weight: 9 }, { arbitrary: bad, weight: 1 });
const text = fc.oneof({ arbitrary: fc.string(), weight: 5 }, { arbitrary: fc.constantFrom('', '-', '__proto__', '${TOKEN}', '${MISSING}', '$${X}'), weight: 1 });
const scalar = fc.oneof(text, fc.integer(), fc.double(), fc.boolean(), fc.constant(null));
const id = mostly(fc.stringMatching(/^[a-z][a-z0-9-]{0,8}$/), text);
const duration = mostly(fc.oneof(fc.nat(), fc.constantFrom('1s', '1.5m', '10h', '99999999999999999999h', '1000h', '0ms')), text);
const size = mostly(fc.oneof(fc.nat(), fc.constantFrom('16mb', '1gib', '99999999999999999999gb', '0b')), text);
const url = mostly(fc.oneof(fc.webUrl(), fc.constantFrom('http://', 'http://[::1', 'https://u:p@h', 'http://h/?q#f', 'http://${TOKEN}')), text);
const regex = mostly(fc.oneof(fc.constantFrom('^a+$', '(', '[z-a]', '\\', '(?<n>x)\\k<n>', '(?i)x'), fc.string()), scalar);
const maybe = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: undefined });

const route = fc.record({
  name: id,
  backend: mostly(fc.constantFrom('app', 'api', 'nope'), text),
  match: maybe(fc.record({
    path: maybe(mostly(fc.constantFrom('/', '/v1', '/v1/', '//x', '/a/../b', '/%2e', '/./x'), text)),
    host: maybe(mostly(fc.oneof(fc.domain(), fc.array(fc.domain(), { maxLength: 3 })), scalar)),
    methods: maybe(mostly(fc.array(fc.constantFrom('GET', 'post', 'x y'), { maxLength: 3 }), scalar)),
    headers: maybe(fc.dictionary(mostly(fc.constantFrom('x-a', 'authorization', 'X-B'), text), mostly(fc.oneof(fc.string(), fc.record({ regex }), fc.record({ present: fc.boolean() })), scalar), { maxKeys: 3 })),
  }, { requiredKeys: [] })),
  policies: maybe(fc.array(mostly(fc.constant('web'), text), { maxLength: 2 })),
  stripPrefix: maybe(mostly(fc.boolean(), scalar)),
  limits: maybe(fc.record({ maxBodyBytes: size })),
}, { requiredKeys: ['name', 'backend'] });

const listener = fc.record({
  name: id,
  port: mostly(fc.constantFrom(0, 0, 0, 8080, 15000), fc.oneof(fc.constantFrom(70000, -1), scalar)),
  host: maybe(mostly(fc.ipV4(), text)),
  tls: maybe(fc.record({ cert: fc.oneof(text, fc.constantFrom('/', '/dev/null', '/dev/zero', './x.pem', '../fixtures/tls/cert.pem')), key: text })),
  limits: maybe(fc.record({ idleTimeout: duration, headersTimeout: duration, maxBodyBytes: size, maxHeaderCount: mostly(fc.integer({ min: 8, max: 2000 }), scalar) }, { requiredKeys: [] })),
  policies: maybe(fc.array(mostly(fc.constant('web'), text), { maxLength: 2 })),
  routes: mostly(fc.array(route, { maxLength: 3 }), scalar),
}, { requiredKeys: ['name', 'port', 'routes'] });

const config = fc.record({
  gateway: maybe(fc.record({
    admin: maybe(mostly(fc.oneof(fc.constant('off'), fc.record({ port: maybe(mostly(fc.constant(0), scalar)), token: maybe(mostly(fc.constant('${TOKEN}'), text)), host: maybe(text) })), scalar)),
    drainTimeout: maybe(duration),
    accessLog: maybe(fc.record({ format: mostly(fc.constantFrom('json', 'text', 'off'), text) })),
  })),
  listeners: mostly(fc.array(listener, { maxLength: 3 }), scalar),
  backends: maybe(fc.dictionary(mostly(fc.constantFrom('app', 'api'), text), mostly(
    fc.record({ http: fc.record({ url, retries: maybe(mostly(fc.nat(5), scalar)), timeouts: maybe(fc.record({ connect: duration, idle: duration }, { requiredKeys: [] })) }, { requiredKeys: ['url'] }) }),
    fc.dictionary(text, scalar, { maxKeys: 2 }),
  ), { maxKeys: 3 })),
  policies: maybe(fc.dictionary(mostly(fc.constant('web'), text), fc.record({ cors: fc.record({ allowOrigins: fc.array(mostly(fc.constantFrom('*', 'https://*.example.com', 'http://localhost:3000'), text), { maxLength: 2 }), maxAge: maybe(duration) }) }), { maxKeys: 2 })),
  extra: fc.oneof({ arbitrary: fc.constant(undefined), weight: 19 }, { arbitrary: scalar, weight: 1 }),
}, { requiredKeys: ['listeners'] });

test('near-valid configs', HANG_GUARD, () => {
  fc.assert(fc.property(config, (c) => loadsOrConfigError(stringify(c))), { numRuns: 500 });
});
