// A backend kind is its folder plus a registry line: config validates, checks and compiles
// a kind it has never heard of, given only the kind's registration (schema fragment,
// compile, checks), and lists it wherever it lists the kinds.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Type, type Static } from '@sinclair/typebox';
import { Closed, ConfigError, compileConfig, configSchema, loadConfigText, type BackendKindConfig, type BackendSpec, type ConfigExtensions } from '../../src/config/index.js';
import { CONFIG_EXTENSIONS } from '../../src/gateway/config.js';

const EchoConfig = Closed({
  greeting: Type.String({ minLength: 1, description: 'What the echo backend says.' }),
}, { description: 'A test kind.' });

interface EchoSpec extends BackendSpec { readonly greeting: string }

const echoKind: BackendKindConfig<Static<typeof EchoConfig>, EchoSpec> = {
  key: 'echo',
  schema: EchoConfig,
  compile: (raw, name) => ({ kind: 'echo', name, greeting: raw.greeting, key: `echo:${raw.greeting}` }),
  semanticIssues: (raw, path) => (raw.greeting === 'bye' ? [{ path: [...path, 'greeting'], message: 'say hello' }] : []),
};

const WITH_ECHO: ConfigExtensions = { ...CONFIG_EXTENSIONS, backendKinds: [...CONFIG_EXTENSIONS.backendKinds, echoKind] };

const yaml = (backend: string) => `gateway: { admin: off }
listeners:
  - name: edge
    port: 0
    routes: [{ name: r, backend: b }]
backends:
  b:
    ${backend}
`;

function issues(ext: ConfigExtensions, text: string): string[] {
  try {
    compileConfig(loadConfigText(ext, text, '/tmp/kinds.yaml', {}));
    return [];
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    return err.issues.map((i) => `${i.path}: ${i.message}`);
  }
}

test('a registered kind is validated and compiled by its registration alone', () => {
  const rt = compileConfig(loadConfigText(WITH_ECHO, yaml('echo: { greeting: hi }'), '/tmp/kinds.yaml', {}));
  assert.deepEqual({ ...rt.backends.get('b') }, { kind: 'echo', name: 'b', greeting: 'hi', key: 'echo:hi' });
  assert.ok(Object.isFrozen(rt.backends.get('b')));
});

test("a kind's schema and semantic checks apply at its path", () => {
  assert.deepEqual(issues(WITH_ECHO, yaml('echo: { greting: hi }')).sort(), [
    'backends.b.echo.greting: unknown key "greting"; did you mean "greeting"?',
    'backends.b.echo: missing required key "greeting"',
  ]);
  assert.deepEqual(issues(WITH_ECHO, yaml('echo: { greeting: bye }')), ['backends.b.echo.greeting: say hello']);
});

test('the kinds are listed in registry order where config lists them', () => {
  assert.deepEqual(issues(WITH_ECHO, yaml('echo: { greeting: hi }\n    http: { url: "http://127.0.0.1:9" }')), ['backends.b: must set exactly one of: http, llm, mcp, echo']);
  const backend = (configSchema(WITH_ECHO.backendKinds) as unknown as { properties: { backends: { patternProperties: Record<string, { description: string; properties: object }> } } })
    .properties.backends.patternProperties;
  const b = Object.values(backend)[0]!;
  assert.deepEqual(Object.keys(b.properties), ['http', 'llm', 'mcp', 'echo', 'policies']);
  assert.match(b.description, /exactly one kind \(http, llm, mcp or echo\)/);
});

test('a kind that is not registered is an unknown key', () => {
  const found = issues(CONFIG_EXTENSIONS, yaml('echo: { greeting: hi }'));
  assert.ok(found.some((i) => i.startsWith('backends.b.echo: unknown key "echo"')), found.join('\n'));
});
