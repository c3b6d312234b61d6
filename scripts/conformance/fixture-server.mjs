#!/usr/bin/env node
// The MCP server that `npm run conformance` (scripts/conformance.mjs) tests, directly and
// behind agentedge. The conformance suite's server scenarios each call a fixed name (a tool,
// a prompt, a resource URI) and check the shape of the answer; this server offers exactly
// those names, built from what the scenarios check, with the project's SDK (1.x): an
// McpServer per session over the Streamable HTTP transport on node:http.
//
// Listens on 127.0.0.1 (PORT, default 0 = any free port) and prints one line
// `LISTENING http://127.0.0.1:<port>/mcp` once it accepts connections. Only /mcp is served.
// SIGTERM/SIGINT close every session and exit.

import { randomUUID } from 'node:crypto';
import http from 'node:http';
import { deflateSync, crc32 } from 'node:zlib';
import { z } from 'zod';
import { McpServer, ResourceTemplate } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { completable } from '@modelcontextprotocol/sdk/server/completable.js';
import {
  CallToolRequestSchema,
  CreateMessageResultSchema,
  ElicitResultSchema,
  ErrorCode,
  ListToolsRequestSchema,
  McpError,
  SetLevelRequestSchema,
  SubscribeRequestSchema,
  UnsubscribeRequestSchema,
  isInitializeRequest,
} from '@modelcontextprotocol/sdk/types.js';

const PATH = '/mcp';
const MAX_BODY_BYTES = 1 << 20;
// Suggested to clients in the priming event of each SSE stream: how long to wait before
// reconnecting after test_reconnection closes its stream.
const RETRY_MS = 500;

// ---- media, made here rather than pasted as base64 ---------------------------------------

/** A 1×1 red PNG: signature, IHDR (8-bit RGB), one IDAT row, IEND. */
function onePixelPng() {
  const chunk = (type, data) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([len, body, crc]);
  };
  const ihdr = Buffer.from([0, 0, 0, 1, 0, 0, 0, 1, 8, 2, 0, 0, 0]);
  const row = Buffer.from([0, 0xff, 0x00, 0x00]); // filter byte 0, then R G B
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(row)),
    chunk('IEND', Buffer.alloc(0)),
  ]).toString('base64');
}

/** 10 ms of silence as a WAV file: 8 kHz, mono, 16-bit PCM. */
function silentWav() {
  const rate = 8000;
  const samples = rate / 100;
  const data = Buffer.alloc(samples * 2);
  const header = Buffer.alloc(44);
  header.write('RIFF', 0, 'ascii');
  header.writeUInt32LE(36 + data.length, 4);
  header.write('WAVEfmt ', 8, 'ascii');
  header.writeUInt32LE(16, 16); // fmt chunk size
  header.writeUInt16LE(1, 20); // PCM
  header.writeUInt16LE(1, 22); // channels
  header.writeUInt32LE(rate, 24);
  header.writeUInt32LE(rate * 2, 28); // byte rate
  header.writeUInt16LE(2, 32); // block align
  header.writeUInt16LE(16, 34); // bits per sample
  header.write('data', 36, 'ascii');
  header.writeUInt32LE(data.length, 40);
  return Buffer.concat([header, data]).toString('base64');
}

const PNG = onePixelPng();
const WAV = silentWav();

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const text = (s) => ({ type: 'text', text: s });
const png = () => ({ type: 'image', data: PNG, mimeType: 'image/png' });

// ---- tools --------------------------------------------------------------------------------
//
// Tools are served from this table rather than McpServer.registerTool: the SDK turns a zod
// schema into a draft-07 JSON Schema, while the json-schema-2020-12 scenario checks that a
// 2020-12 schema ($schema, $defs, additionalProperties) reaches the client as written. Here
// every inputSchema is the JSON Schema itself and tools/list returns it untouched.
//
// Each handler gets (args, ctx) where ctx = { extra, session } and returns a CallToolResult.
// A handler that throws becomes an `isError` result (a tool failure, not a protocol error).

const NO_ARGS = { type: 'object', properties: {} };

function simpleText() {
  return { content: [text('A plain text answer from the conformance fixture.')] };
}

function imageContent() {
  return { content: [png()] };
}

function audioContent() {
  return { content: [{ type: 'audio', data: WAV, mimeType: 'audio/wav' }] };
}

function embeddedResource() {
  return {
    content: [{
      type: 'resource',
      resource: { uri: 'test://embedded-resource', mimeType: 'text/plain', text: 'Text carried inside a tool result.' },
    }],
  };
}

function mixedContent() {
  return {
    content: [
      text('Three kinds of content follow: this text, an image and a resource.'),
      png(),
      {
        type: 'resource',
        resource: { uri: 'test://mixed-content-resource', mimeType: 'application/json', text: JSON.stringify({ kind: 'mixed', items: 3 }) },
      },
    ],
  };
}

/** Three info-level log messages ~50 ms apart, sent on this call's own stream. */
async function withLogging(_args, { extra, session }) {
  const steps = ['logging tool: started', 'logging tool: working', 'logging tool: done'];
  for (const [i, message] of steps.entries()) {
    if (i > 0) await sleep(50);
    await session.log(extra, 'info', message);
  }
  return { content: [text(`Sent ${steps.length} log messages.`)] };
}

function alwaysFails() {
  throw new Error('test_error_handling fails on purpose: it checks that tool errors come back as isError results');
}

/** Progress 0, 50, 100 of 100, ~50 ms apart, when the caller asked for progress. */
async function withProgress(_args, { extra, request }) {
  const token = request.params._meta?.progressToken;
  for (const [i, progress] of [0, 50, 100].entries()) {
    if (i > 0) await sleep(50);
    if (token !== undefined) {
      await extra.sendNotification({ method: 'notifications/progress', params: { progressToken: token, progress, total: 100 } });
    }
  }
  return { content: [text(token === undefined ? 'Done (no progress token given).' : 'Done, progress reported.')] };
}

/** Asks the client's model (sampling/createMessage); the client must declare `sampling`. */
async function sampling(args, { extra }) {
  if (typeof args.prompt !== 'string') throw new Error('argument "prompt" (string) is required');
  const answer = await extra.sendRequest({
    method: 'sampling/createMessage',
    params: { messages: [{ role: 'user', content: text(args.prompt) }], maxTokens: 100 },
  }, CreateMessageResultSchema);
  const said = answer.content?.type === 'text' ? answer.content.text : JSON.stringify(answer.content);
  return { content: [text(`The client's model (${answer.model}) answered: ${said}`)] };
}

async function elicit(extra, message, requestedSchema) {
  const answer = await extra.sendRequest({ method: 'elicitation/create', params: { message, requestedSchema } }, ElicitResultSchema);
  return { content: [text(`Elicitation ${answer.action}: ${JSON.stringify(answer.content ?? {})}`)] };
}

/** Asks the user for a name and an email (elicitation/create); the client must declare `elicitation`. */
function elicitation(args, { extra }) {
  if (typeof args.message !== 'string') throw new Error('argument "message" (string) is required');
  return elicit(extra, args.message, {
    type: 'object',
    properties: {
      username: { type: 'string', description: 'Your user name' },
      email: { type: 'string', description: 'Your email address', format: 'email' },
    },
    required: ['username', 'email'],
  });
}

/** SEP-1034: one field of each primitive type, each with a default. */
function elicitationDefaults(_args, { extra }) {
  return elicit(extra, 'Confirm or change these values', {
    type: 'object',
    properties: {
      name: { type: 'string', description: 'Name', default: 'John Doe' },
      age: { type: 'integer', description: 'Age', default: 30 },
      score: { type: 'number', description: 'Score', default: 95.5 },
      status: { type: 'string', description: 'Status', enum: ['active', 'inactive', 'pending'], default: 'active' },
      verified: { type: 'boolean', description: 'Verified', default: true },
    },
  });
}

/** SEP-1330: the five enum forms, single and multiple choice, with and without titles. */
function elicitationEnums(_args, { extra }) {
  const choices = (prefix, titles) => titles.map((title, i) => ({ const: `${prefix}${i + 1}`, title }));
  return elicit(extra, 'Pick from each list', {
    type: 'object',
    properties: {
      untitledSingle: { type: 'string', enum: ['option1', 'option2', 'option3'] },
      titledSingle: { type: 'string', oneOf: choices('value', ['Red', 'Green', 'Blue']) },
      legacyEnum: { type: 'string', enum: ['opt1', 'opt2', 'opt3'], enumNames: ['Small', 'Medium', 'Large'] },
      untitledMulti: { type: 'array', items: { type: 'string', enum: ['option1', 'option2', 'option3'] } },
      titledMulti: { type: 'array', items: { anyOf: choices('value', ['North', 'South', 'East']) } },
    },
  });
}

function schema2020(args) {
  return { content: [text(`Received ${JSON.stringify(args)}`)] };
}

/**
 * SEP-1699 polling: closes this call's SSE stream before answering, so the client must
 * reconnect (GET with Last-Event-ID) to get the result, which the event store replays. The
 * transport offers closeSSEStream only to clients of protocol 2025-11-25 or later; older
 * ones simply get the answer on the open stream.
 */
async function reconnection(_args, { extra }) {
  if (extra.closeSSEStream) {
    extra.closeSSEStream();
    await sleep(RETRY_MS + 200);
  }
  return { content: [text('Answered after the stream was closed and resumed.')] };
}

const TOOLS = [
  { name: 'test_simple_text', description: 'Returns one text item.', inputSchema: NO_ARGS, run: simpleText },
  { name: 'test_image_content', description: 'Returns a 1×1 PNG image.', inputSchema: NO_ARGS, run: imageContent },
  { name: 'test_audio_content', description: 'Returns a short silent WAV clip.', inputSchema: NO_ARGS, run: audioContent },
  { name: 'test_embedded_resource', description: 'Returns an embedded text resource.', inputSchema: NO_ARGS, run: embeddedResource },
  { name: 'test_multiple_content_types', description: 'Returns text, an image and an embedded resource.', inputSchema: NO_ARGS, run: mixedContent },
  { name: 'test_tool_with_logging', description: 'Sends three log messages while it runs.', inputSchema: NO_ARGS, run: withLogging },
  { name: 'test_error_handling', description: 'Always fails, as an isError result.', inputSchema: NO_ARGS, run: alwaysFails },
  { name: 'test_tool_with_progress', description: 'Reports progress 0, 50, 100 of 100.', inputSchema: NO_ARGS, run: withProgress },
  {
    name: 'test_sampling',
    description: 'Sends the prompt to the client\'s model (sampling) and returns its answer.',
    inputSchema: { type: 'object', properties: { prompt: { type: 'string', description: 'What to ask the model' } }, required: ['prompt'] },
    run: sampling,
  },
  {
    name: 'test_elicitation',
    description: 'Asks the user (elicitation) for a user name and an email.',
    inputSchema: { type: 'object', properties: { message: { type: 'string', description: 'What to tell the user' } }, required: ['message'] },
    run: elicitation,
  },
  { name: 'test_elicitation_sep1034_defaults', description: 'Elicitation whose fields all have defaults (SEP-1034).', inputSchema: NO_ARGS, run: elicitationDefaults },
  { name: 'test_elicitation_sep1330_enums', description: 'Elicitation with the five enum forms (SEP-1330).', inputSchema: NO_ARGS, run: elicitationEnums },
  {
    name: 'json_schema_2020_12_tool',
    description: 'Takes a name and an address; its input schema uses JSON Schema 2020-12 ($schema, $defs).',
    inputSchema: {
      $schema: 'https://json-schema.org/draft/2020-12/schema',
      type: 'object',
      $defs: {
        address: { type: 'object', properties: { street: { type: 'string' }, city: { type: 'string' } } },
      },
      properties: { name: { type: 'string' }, address: { $ref: '#/$defs/address' } },
      additionalProperties: false,
    },
    run: schema2020,
  },
  { name: 'test_reconnection', description: 'Closes its SSE stream before answering (SSE polling, SEP-1699).', inputSchema: NO_ARGS, run: reconnection },
];

const TOOLS_BY_NAME = new Map(TOOLS.map((t) => [t.name, t]));

function serveTools(session) {
  const { server } = session.mcp;
  server.registerCapabilities({ tools: {} });
  server.setRequestHandler(ListToolsRequestSchema, () => ({
    tools: TOOLS.map(({ name, description, inputSchema }) => ({ name, description, inputSchema })),
  }));
  server.setRequestHandler(CallToolRequestSchema, async (request, extra) => {
    const tool = TOOLS_BY_NAME.get(request.params.name);
    if (!tool) throw new McpError(ErrorCode.InvalidParams, `Unknown tool: ${request.params.name}`);
    try {
      return await tool.run(request.params.arguments ?? {}, { extra, session, request });
    } catch (err) {
      return { isError: true, content: [text(err instanceof Error ? err.message : String(err))] };
    }
  });
}

// ---- prompts --------------------------------------------------------------------------------

const ARG_SUGGESTIONS = ['hello', 'help', 'test', 'testing', 'world'];

function servePrompts(mcp) {
  mcp.registerPrompt('test_simple_prompt', { description: 'A prompt without arguments.' }, () => ({
    messages: [{ role: 'user', content: text('Say something simple.') }],
  }));

  // arg1 offers completions, so completion/complete has a prompt argument to complete.
  mcp.registerPrompt('test_prompt_with_arguments', {
    description: 'A prompt that quotes its two arguments.',
    argsSchema: {
      arg1: completable(z.string().describe('First argument'), (value) => ARG_SUGGESTIONS.filter((s) => s.startsWith(value ?? ''))),
      arg2: z.string().describe('Second argument'),
    },
  }, ({ arg1, arg2 }) => ({
    messages: [{ role: 'user', content: text(`First: "${arg1}". Second: "${arg2}".`) }],
  }));

  mcp.registerPrompt('test_prompt_with_embedded_resource', {
    description: 'A prompt that embeds the resource named by resourceUri.',
    argsSchema: { resourceUri: z.string().describe('URI of the resource to embed') },
  }, ({ resourceUri }) => ({
    messages: [
      { role: 'user', content: { type: 'resource', resource: { uri: resourceUri, mimeType: 'text/plain', text: `Contents of ${resourceUri}.` } } },
      { role: 'user', content: text('Summarize the resource above.') },
    ],
  }));

  mcp.registerPrompt('test_prompt_with_image', { description: 'A prompt that carries an image.' }, () => ({
    messages: [
      { role: 'user', content: png() },
      { role: 'user', content: text('Describe the image above.') },
    ],
  }));
}

// ---- resources ------------------------------------------------------------------------------

function serveResources(session) {
  const { mcp } = session;
  mcp.registerResource('static-text', 'test://static-text', { description: 'A fixed text resource.', mimeType: 'text/plain' }, (uri) => ({
    contents: [{ uri: uri.href, mimeType: 'text/plain', text: 'Fixed text served by the conformance fixture.' }],
  }));

  mcp.registerResource('static-binary', 'test://static-binary', { description: 'A fixed PNG image.', mimeType: 'image/png' }, (uri) => ({
    contents: [{ uri: uri.href, mimeType: 'image/png', blob: PNG }],
  }));

  mcp.registerResource('watched', 'test://watched-resource', { description: 'A resource clients can subscribe to.', mimeType: 'text/plain' }, (uri) => ({
    contents: [{ uri: uri.href, mimeType: 'text/plain', text: 'This resource never changes, but it can be watched.' }],
  }));

  mcp.registerResource('template-data', new ResourceTemplate('test://template/{id}/data', { list: undefined }), {
    description: 'JSON data for any id.',
    mimeType: 'application/json',
  }, (uri, { id }) => ({
    contents: [{ uri: uri.href, mimeType: 'application/json', text: JSON.stringify({ id, source: 'test://template/{id}/data' }) }],
  }));

  // McpServer has no subscription support of its own: the session keeps the watched URIs.
  mcp.server.setRequestHandler(SubscribeRequestSchema, (request) => {
    session.subscriptions.add(request.params.uri);
    return {};
  });
  mcp.server.setRequestHandler(UnsubscribeRequestSchema, (request) => {
    session.subscriptions.delete(request.params.uri);
    return {};
  });
}

// ---- sessions -------------------------------------------------------------------------------

const LEVELS = ['debug', 'info', 'notice', 'warning', 'error', 'critical', 'alert', 'emergency'];

/**
 * Keeps every event of every stream so that a client reconnecting with Last-Event-ID gets
 * what it missed (resumability; it is also what makes the transport send priming events
 * and offer closeSSEStream). Bounded: the oldest events go first.
 */
class MemoryEventStore {
  #events = new Map();
  #next = 0;
  #max;

  constructor(max = 10_000) {
    this.#max = max;
  }

  async storeEvent(streamId, message) {
    const id = `${++this.#next}`;
    this.#events.set(id, { streamId, message });
    if (this.#events.size > this.#max) this.#events.delete(this.#events.keys().next().value);
    return id;
  }

  async getStreamIdForEventId(eventId) {
    return this.#events.get(eventId)?.streamId;
  }

  async replayEventsAfter(lastEventId, { send }) {
    const last = this.#events.get(lastEventId);
    if (!last) return '';
    let after = false;
    for (const [id, event] of this.#events) {
      if (id === lastEventId) { after = true; continue; }
      // Priming events are stored as `{}`: a marker, not a message to replay.
      if (after && event.streamId === last.streamId && Object.keys(event.message).length > 0) await send(id, event.message);
    }
    return last.streamId;
  }
}

const sessions = new Map();

/** One client session: its own McpServer (an SDK 1.x server serves one transport) and transport. */
function createSession() {
  const mcp = new McpServer(
    { name: 'agentedge-conformance-fixture', version: '1.0.0' },
    { capabilities: { logging: {}, resources: { subscribe: true } } },
  );
  const session = {
    mcp,
    subscriptions: new Set(),
    minLevel: 'debug',
    /** A log message related to the request being handled, unless below the client's level. */
    async log(extra, level, data) {
      if (LEVELS.indexOf(level) < LEVELS.indexOf(this.minLevel)) return;
      await extra.sendNotification({ method: 'notifications/message', params: { level, logger: 'fixture', data } });
    },
    transport: new StreamableHTTPServerTransport({
      sessionIdGenerator: randomUUID,
      eventStore: new MemoryEventStore(),
      retryInterval: RETRY_MS,
      onsessioninitialized: (id) => sessions.set(id, session),
    }),
  };
  session.transport.onclose = () => {
    if (session.transport.sessionId) sessions.delete(session.transport.sessionId);
  };

  // The SDK's own logging/setLevel handler keeps the level where tools cannot read it;
  // this one keeps it on the session, where log() looks.
  mcp.server.setRequestHandler(SetLevelRequestSchema, (request) => {
    session.minLevel = request.params.level;
    return {};
  });
  serveTools(session);
  servePrompts(mcp);
  serveResources(session);
  return session;
}

// ---- HTTP -----------------------------------------------------------------------------------

const LOOPBACK_NAMES = new Set(['localhost', '127.0.0.1', '[::1]']);

function isLoopbackHost(hostAndPort) {
  try {
    return LOOPBACK_NAMES.has(new URL(`http://${hostAndPort}`).hostname.toLowerCase());
  } catch {
    return false;
  }
}

/**
 * DNS rebinding: a page on evil.example that resolves its name to 127.0.0.1 reaches this
 * server with `Host: evil.example` (and that Origin). A loopback server must only answer
 * requests addressed to a loopback name.
 */
function addressedToLoopback(req) {
  if (!isLoopbackHost(req.headers.host ?? '')) return false;
  const origin = req.headers.origin;
  if (origin === undefined) return true;
  try {
    return isLoopbackHost(new URL(origin).host);
  } catch {
    return false;
  }
}

function jsonRpcError(res, status, code, message) {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ jsonrpc: '2.0', id: null, error: { code, message } }));
}

function readJson(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    req.on('data', (c) => {
      size += c.length;
      if (size > MAX_BODY_BYTES) { reject(new Error('body too large')); req.destroy(); return; }
      chunks.push(c);
    });
    req.on('end', () => {
      try { resolve(JSON.parse(Buffer.concat(chunks).toString('utf8'))); } catch (err) { reject(err); }
    });
    req.on('error', reject);
  });
}

async function handle(req, res) {
  if (new URL(req.url ?? '/', 'http://localhost').pathname !== PATH) {
    res.writeHead(404).end();
    return;
  }
  if (!addressedToLoopback(req)) {
    jsonRpcError(res, 403, -32000, 'Forbidden: this server only answers requests addressed to localhost');
    return;
  }

  let body;
  if (req.method === 'POST') {
    try {
      body = await readJson(req);
    } catch {
      jsonRpcError(res, 400, ErrorCode.ParseError, 'Parse error: the body is not JSON');
      return;
    }
  }

  const id = req.headers['mcp-session-id'];
  if (typeof id === 'string') {
    const session = sessions.get(id);
    if (!session) {
      jsonRpcError(res, 404, -32001, 'Session not found');
      return;
    }
    await session.transport.handleRequest(req, res, body);
    return;
  }

  if (req.method === 'POST' && isInitializeRequest(body)) {
    const session = createSession();
    await session.mcp.connect(session.transport);
    await session.transport.handleRequest(req, res, body);
    return;
  }
  jsonRpcError(res, 400, -32000, 'Bad Request: no Mcp-Session-Id (send initialize first)');
}

const httpServer = http.createServer((req, res) => {
  handle(req, res).catch((err) => {
    process.stderr.write(`fixture: ${err instanceof Error ? err.stack : String(err)}\n`);
    if (!res.headersSent) jsonRpcError(res, 500, ErrorCode.InternalError, 'Internal error');
    else res.end();
  });
});

httpServer.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  process.stdout.write(`LISTENING http://127.0.0.1:${httpServer.address().port}${PATH}\n`);
});

async function shutdown() {
  await Promise.allSettled([...sessions.values()].map((s) => s.transport.close()));
  httpServer.closeAllConnections();
  httpServer.close(() => process.exit(0));
}
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
