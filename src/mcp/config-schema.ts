// The schema of `backends.<name>.mcp`: the mcp kind's part of the config file, built from
// the same parts as the rest of the schema (config/schema.ts).
import { Type, type Static } from '@sinclair/typebox';
import { Closed, durationSchema as duration } from '../config/index.js';
import { MCP_DEFAULTS } from './spec.js';

/**
 * A server name: lower case, digits, `-` and single `_` (never `__`, never a trailing `_`),
 * so `<server>__<name>` splits at its first `__` whatever the tool's name is.
 */
export const SERVER_NAME_PATTERN = '^[a-z0-9](?:[a-z0-9-]|_(?=[a-z0-9-])){0,62}$';

const toolPattern = Type.String({ minLength: 1, maxLength: 256, description: 'A tool name as the server gives it (unprefixed); `*` matches any run of characters.' });

const headerValue = Type.String({ pattern: '^[^\\r\\n\\u0000]*$', 'x-expected': 'a header value without line breaks', 'x-secret': true, description: 'A header value (redacted by the admin API).' });

export const McpServer = Closed({
  name: Type.String({ pattern: SERVER_NAME_PATTERN, 'x-expected': 'a server name: a-z, 0-9, "-" and single "_" (not "__", not at the end), at most 63 characters', description: 'The server\'s name: its tools and prompts are `<name>__<tool>`, its resource URIs `<name>__<uri>`; unique within the backend.' }),
  command: Type.Optional(Type.String({ minLength: 1, description: 'stdio server: the program to run (looked up on PATH; a relative path is relative to the config file\'s folder). Started on first use, restarted with backoff after a crash, stopped after `idleTimeout`. Its stderr goes to the log with the server\'s name.' })),
  args: Type.Optional(Type.Array(Type.String(), { maxItems: 256, description: 'stdio server: the program\'s arguments.' })),
  env: Type.Optional(Type.Record(
    Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_]*$' }),
    Type.String({ 'x-secret': true, description: 'A value (redacted by the admin API); best given as ${VAR}.' }),
    { additionalProperties: false, 'x-key': 'an environment variable name', description: 'stdio server: environment variables added to a minimal default environment (PATH, HOME, …; the gateway\'s own environment is not inherited).' },
  )),
  cwd: Type.Optional(Type.String({ minLength: 1, description: 'stdio server: the working directory, relative to the config file\'s folder; defaults to that folder.' })),
  url: Type.Optional(Type.String({ pattern: '^https?://', 'x-expected': 'an http:// or https:// URL', description: 'HTTP server: the MCP endpoint URL (Streamable HTTP, or legacy HTTP+SSE with `transport: sse`).' })),
  transport: Type.Optional(Type.Union([Type.Literal('streamable-http'), Type.Literal('sse')], { default: 'streamable-http', description: 'HTTP server: "streamable-http" (the current transport) or "sse" (the legacy HTTP+SSE transport of 2024-11-05: `url` is its SSE endpoint).' })),
  headers: Type.Optional(Type.Record(
    Type.String({ pattern: '^[A-Za-z0-9!#$%&\'*+.^_`|~-]+$' }),
    headerValue,
    { additionalProperties: false, 'x-key': 'a header name', description: 'HTTP server: headers sent with every request (API keys: best given as ${VAR}).' },
  )),
  bearer: Type.Optional(Type.String({ minLength: 1, 'x-secret': true, description: 'HTTP server: a token sent as `Authorization: Bearer <token>`; best given as ${VAR}. The client\'s own token is never passed upstream.' })),
  tools: Type.Optional(Closed({
    include: Type.Optional(Type.Array(toolPattern, { maxItems: 1000, description: 'Only these tools are federated (names or globs); default: all.' })),
    exclude: Type.Optional(Type.Array(toolPattern, { maxItems: 1000, description: 'These tools are never federated (wins over include).' })),
  }, { description: 'Which of the server\'s tools the gateway exposes at all, whoever the caller is (authorization rules come on top).' })),
  timeouts: Type.Optional(Closed({
    connect: Type.Optional(duration('Time allowed to start or connect to the server and initialize it; slower → the server is failed until the next attempt.', { default: MCP_DEFAULTS.connectTimeout })),
    call: Type.Optional(duration('Time allowed for one request to the server; slower → the caller gets a JSON-RPC error naming the server, and the request is cancelled upstream.', { default: MCP_DEFAULTS.callTimeout })),
  }, { description: 'Timeouts toward this server.' })),
  pin: Type.Optional(Type.Boolean({ default: true, description: 'Tool pinning (rug-pull defence): each tool\'s definition is fingerprinted when first seen and kept in the state store; a later, different definition is withheld (absent from tools/list, its calls refused) and logged until approved (`approved`, or the admin API). false: off for this server.' })),
  approved: Type.Optional(Type.Array(Type.String({ pattern: '^[0-9a-f]{64}$', 'x-expected': 'a fingerprint: 64 lower-case hex digits' }), { maxItems: 1000, description: 'Tool definitions approved in config, by fingerprint (the SHA-256 the warning and admin GET /mcp/pins show): a tool whose definition has one of them is shown and pinned to it.' })),
  idleTimeout: Type.Optional(duration('stdio server: the process is stopped after this long without a request (0: never); the next request starts it again.', { default: MCP_DEFAULTS.idleTimeout })),
}, { description: 'One upstream MCP server: a stdio program (`command`) or an HTTP endpoint (`url`).' });

export const McpBackend = Closed({
  servers: Type.Array(McpServer, { minItems: 1, maxItems: 256, description: 'The servers federated behind this backend, in the order their tools are listed.' }),
  toolset: Type.Optional(Type.Union([Type.Literal('all'), Type.Literal('search')], { default: 'all', description: '"all": clients list every federated tool. "search": clients see two tools instead, search_tools (find tools by words; answers their definitions) and call_tool (call one by name), so an agent spends prompt tokens only on the tools it looks for; the tool actually called passes include / exclude, the authorization rules and pinning as a direct call does.' })),
  namespace: Type.Optional(Type.Boolean({ default: true, description: 'false: serve the one server of this backend with its own tool and prompt names and resource URIs, unprefixed (a gateway in front of a single MCP server); only with exactly one server.' })),
  allowedHosts: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 253, pattern: '^[A-Za-z0-9.:\\[\\]-]+$', 'x-expected': 'a host name or address, without a port' }), { maxItems: 100, description: 'Host names clients reach this endpoint by, besides localhost, 127.0.0.1 and [::1]. A request whose Host (or Origin) names another host is refused with 403 (DNS rebinding). Unset: any host on a listener bound beyond loopback, only the loopback names on a loopback listener.' })),
  sessionTtl: Type.Optional(duration('A client session unused for this long is forgotten (its next request gets 404 and the client initializes again).', { default: MCP_DEFAULTS.sessionTtl })),
  maxSessions: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000000, default: MCP_DEFAULTS.maxSessions, description: 'Most client sessions held at once, per gateway process; the least recently used one is forgotten beyond it.' })),
}, { description: 'An MCP federation: serves one MCP endpoint at the route prefix P (Streamable HTTP; the legacy HTTP+SSE transport at P/sse) that lists and calls the tools, prompts and resources of every server, namespaced `<server>__<name>`.' });

export type McpBackendConfig = Static<typeof McpBackend>;
export type McpServerConfig = Static<typeof McpServer>;
