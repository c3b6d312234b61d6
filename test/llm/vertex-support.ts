// A fake Google Vertex AI for llm tests, on 127.0.0.1 port 0, with its own OAuth token
// endpoint:
// - POST /token: the JWT bearer grant (the assertion's RS256 signature is verified with the
//   test key pair's public key, and its claims checked) or the refresh_token grant; answers
//   {access_token, expires_in, token_type} with a fresh token each time;
// - POST /v1/projects/{p}/locations/{l}/publishers/google/models/{m}:generateContent and
//   :streamGenerateContent?alt=sse: Gemini answers (gemini-support.ts);
// - POST …/publishers/anthropic/models/{m}:rawPredict and :streamRawPredict, and
//   …/models/count-tokens:rawPredict: Anthropic answers (anthropic-support.ts).
// Model calls need `Authorization: Bearer <a token this fake issued>` (else 401, as Vertex).
// A service-account key file (a fresh RSA key per fake) is written to a temp folder.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { generateKeyPairSync, verify, type KeyObject } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import Anthropic from '@anthropic-ai/sdk';
import { startGateway, type TestGateway } from '../helpers/gateway.js';
import { streamEvents as geminiEvents, USAGE as GEMINI_USAGE } from './gemini-support.js';
import { streamEvents as anthropicEvents, USAGE as ANTHROPIC_USAGE } from './anthropic-support.js';

export const PROJECT = 'test-project-1';
export const LOCATION = 'us-central1';
export const CLIENT_EMAIL = 'gateway@test-project-1.iam.gserviceaccount.com';
export const KEY_ID = 'kid-0123456789';
export const CLIENT_KEY = 'sk-client-key-should-not-leak';
export const GEMINI_MODEL = 'gemini-2.0-flash';
export const CLAUDE_MODEL = 'claude-sonnet-4-5@20250929';
export const REFRESH_TOKEN = '1//refresh-token-secret-0123456789';
export const CLIENT_SECRET = 'client-secret-value-0123456789';

export interface VertexRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: Record<string, any>;
}

export interface TokenRequest {
  form: Record<string, string>;
  /** The verified JWT header and claims (service-account grant). */
  jwt?: { header: Record<string, any>; claims: Record<string, any> };
}

export type VertexHandler = (req: VertexRequest, res: http.ServerResponse) => void;

export interface FakeVertex {
  url: string;
  tokenUri: string;
  /** The service-account key PEM (a secret: must never show up anywhere). */
  privateKey: string;
  received: VertexRequest[];
  tokenRequests: TokenRequest[];
  /** Tokens issued so far, in order. */
  issued: string[];
  /** Problems found in token requests (a bad signature, wrong claims); empty when all were good. */
  problems: string[];
  /** Lifetime given to new tokens, in seconds. */
  expiresIn: number;
  /** When set, the token endpoint answers this status with an OAuth error. */
  tokenFailure: number | null;
  /** Delay before the token endpoint answers, in ms. */
  tokenDelayMs: number;
  /** Replaces the answer to model calls. */
  on(handler: VertexHandler): void;
  /** Writes a credentials file and returns its path. */
  serviceAccountFile(): string;
  authorizedUserFile(): string;
  close(): Promise<void>;
}

const MODEL_ROUTE = /^\/v1\/projects\/([^/]+)\/locations\/([^/]+)\/publishers\/(google|anthropic)\/models\/([^/:]+):(generateContent|streamGenerateContent\?alt=sse|rawPredict|streamRawPredict)$/;

function readForm(text: string): Record<string, string> {
  return Object.fromEntries(new URLSearchParams(text));
}

function checkJwt(assertion: string, publicKey: KeyObject, tokenUri: string, problems: string[]): TokenRequest['jwt'] {
  const parts = assertion.split('.');
  if (parts.length !== 3) { problems.push('assertion is not a JWT'); return undefined; }
  const [h, c, s] = parts as [string, string, string];
  if (!verify('sha256', Buffer.from(`${h}.${c}`), publicKey, Buffer.from(s, 'base64url'))) problems.push('bad JWT signature');
  const header = JSON.parse(Buffer.from(h, 'base64url').toString()) as Record<string, any>;
  const claims = JSON.parse(Buffer.from(c, 'base64url').toString()) as Record<string, any>;
  const now = Math.floor(Date.now() / 1000);
  if (header.alg !== 'RS256') problems.push(`alg ${header.alg}`);
  if (header.kid !== KEY_ID) problems.push(`kid ${header.kid}`);
  if (claims.iss !== CLIENT_EMAIL) problems.push(`iss ${claims.iss}`);
  if (claims.scope !== 'https://www.googleapis.com/auth/cloud-platform') problems.push(`scope ${claims.scope}`);
  if (claims.aud !== tokenUri) problems.push(`aud ${claims.aud}`);
  if (typeof claims.iat !== 'number' || Math.abs(claims.iat - now) > 60) problems.push(`iat ${claims.iat}`);
  if (typeof claims.exp !== 'number' || claims.exp <= claims.iat || claims.exp - claims.iat > 3600) problems.push(`exp ${claims.exp}`);
  return { header, claims };
}

function modelAnswer(req: VertexRequest, res: http.ServerResponse): void {
  const m = MODEL_ROUTE.exec(req.url)!;
  const [, , , publisher, model, method] = m as unknown as [string, string, string, string, string, string];
  if (publisher === 'google') {
    if (method.startsWith('stream')) {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      for (const e of geminiEvents(false)) res.write(e);
      res.end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json; charset=UTF-8' });
    res.end(JSON.stringify({
      candidates: [{ content: { role: 'model', parts: [{ text: 'Hello from Vertex' }] }, finishReason: 'STOP', index: 0 }],
      usageMetadata: GEMINI_USAGE, modelVersion: GEMINI_MODEL, responseId: 'resp_vertex',
    }));
    return;
  }
  if (model === 'count-tokens') {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ input_tokens: 42 }));
    return;
  }
  if (method === 'streamRawPredict') {
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8' });
    for (const e of anthropicEvents(CLAUDE_MODEL, false)) res.write(e);
    res.end();
    return;
  }
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify({
    id: 'msg_vrtx_fake', type: 'message', role: 'assistant', model: CLAUDE_MODEL, content: [{ type: 'text', text: 'Hello from Claude on Vertex' }],
    stop_reason: 'end_turn', stop_sequence: null, usage: ANTHROPIC_USAGE,
  }));
}

export async function startFakeVertex(): Promise<FakeVertex> {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const dir = mkdtempSync(join(tmpdir(), 'agentedge-vertex-'));
  let handler: VertexHandler = modelAnswer;
  let n = 0;
  const fake: FakeVertex = {
    url: '', tokenUri: '', privateKey: pem, received: [], tokenRequests: [], issued: [], problems: [],
    expiresIn: 3599, tokenFailure: null, tokenDelayMs: 0,
    on: (h) => { handler = h; },
    serviceAccountFile: () => {
      const file = join(dir, `sa-${++n}.json`);
      writeFileSync(file, JSON.stringify({
        type: 'service_account', project_id: PROJECT, private_key_id: KEY_ID, private_key: pem, client_email: CLIENT_EMAIL,
        client_id: '1234567890', auth_uri: 'https://accounts.google.com/o/oauth2/auth', token_uri: fake.tokenUri,
      }));
      return file;
    },
    authorizedUserFile: () => {
      const file = join(dir, `user-${++n}.json`);
      writeFileSync(file, JSON.stringify({
        type: 'authorized_user', client_id: 'client-id.apps.googleusercontent.com', client_secret: CLIENT_SECRET,
        refresh_token: REFRESH_TOKEN, quota_project_id: PROJECT, token_uri: fake.tokenUri,
      }));
      return file;
    },
    close: async () => {},
  };
  const server = http.createServer((raw, res) => {
    const chunks: Buffer[] = [];
    raw.on('data', (c: Buffer) => chunks.push(c));
    raw.on('end', () => {
      const text = Buffer.concat(chunks).toString();
      if (raw.url === '/token') {
        const form = readForm(text);
        const tr: TokenRequest = { form };
        if (raw.headers['content-type'] !== 'application/x-www-form-urlencoded') fake.problems.push(`content-type ${raw.headers['content-type']}`);
        if (form.grant_type === 'urn:ietf:params:oauth:grant-type:jwt-bearer') {
          const jwt = checkJwt(form.assertion ?? '', publicKey, fake.tokenUri, fake.problems);
          if (jwt !== undefined) tr.jwt = jwt;
        } else if (form.grant_type === 'refresh_token') {
          if (form.refresh_token !== REFRESH_TOKEN || form.client_secret !== CLIENT_SECRET || form.client_id !== 'client-id.apps.googleusercontent.com') fake.problems.push('bad refresh grant');
        } else {
          fake.problems.push(`grant_type ${form.grant_type}`);
        }
        fake.tokenRequests.push(tr);
        setTimeout(() => {
          if (fake.tokenFailure !== null) {
            res.writeHead(fake.tokenFailure, { 'content-type': 'application/json' });
            res.end(JSON.stringify({ error: 'invalid_grant', error_description: `Invalid JWT Signature. (${form.assertion ?? form.refresh_token ?? ''})` }));
            return;
          }
          const token = `ya29.fake-access-token-${fake.issued.length + 1}-0123456789`;
          fake.issued.push(token);
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ access_token: token, expires_in: fake.expiresIn, token_type: 'Bearer' }));
        }, fake.tokenDelayMs);
        return;
      }
      let body: Record<string, any>;
      try { body = text ? JSON.parse(text) : {}; } catch { body = { unparsable: text }; }
      const req: VertexRequest = { method: raw.method!, url: raw.url!, headers: raw.headers, body };
      fake.received.push(req);
      if (raw.method !== 'POST' || !MODEL_ROUTE.test(raw.url!)) {
        res.writeHead(404, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { code: 404, message: 'Not found', status: 'NOT_FOUND' } }));
        return;
      }
      const auth = raw.headers.authorization ?? '';
      if (!auth.startsWith('Bearer ') || !fake.issued.includes(auth.slice('Bearer '.length))) {
        res.writeHead(401, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { code: 401, message: 'Request had invalid authentication credentials.', status: 'UNAUTHENTICATED' } }));
        return;
      }
      handler(req, res);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  fake.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  fake.tokenUri = `${fake.url}/token`;
  fake.close = () => new Promise<void>((r) => {
    server.close(() => r());
    server.closeAllConnections();
    rmSync(dir, { recursive: true, force: true });
  });
  return fake;
}

/** The model path a Vertex call for `model` of `publisher` should have. */
export function vertexPath(publisher: 'google' | 'anthropic', model: string, method: string): string {
  return `/v1/projects/${PROJECT}/locations/${LOCATION}/publishers/${publisher}/models/${model}:${method}`;
}

/** A gateway config with models vgem (Gemini) and vclaude (Claude) on `fake`, credentials from `file`. */
export function vertexConfig(fake: FakeVertex, file: string): string {
  return `gateway:
  admin: { host: 127.0.0.1, port: 0 }
listeners:
  - name: edge
    port: 0
    routes:
      - { name: llm, match: { path: /v1 }, backend: models }
backends:
  models:
    llm:
      models:
        - name: vgem
          provider: vertex
          model: ${GEMINI_MODEL}
          project: ${PROJECT}
          location: ${LOCATION}
          credentials: ${file}
          baseUrl: ${fake.url}
        - name: vclaude
          provider: vertex
          model: "${CLAUDE_MODEL}"
          project: ${PROJECT}
          location: ${LOCATION}
          credentials: ${file}
          baseUrl: ${fake.url}
`;
}

export interface VertexSetup {
  fake: FakeVertex;
  gw: TestGateway;
  client: OpenAI;
  anthropic: Anthropic;
}

/** Fake Vertex, a gateway with vgem and vclaude on it, and OpenAI and Anthropic SDK clients; closed after the test. */
export async function setupVertex(t: { after(fn: () => Promise<void>): void }, opts: { authorizedUser?: boolean } = {}): Promise<VertexSetup> {
  const fake = await startFakeVertex();
  const file = opts.authorizedUser === true ? fake.authorizedUserFile() : fake.serviceAccountFile();
  const gw = await startGateway(vertexConfig(fake, file));
  t.after(async () => { await gw.close(); await fake.close(); });
  const client = new OpenAI({ baseURL: `${gw.url()}/v1`, apiKey: CLIENT_KEY, maxRetries: 0, timeout: 10_000 });
  const anthropic = new Anthropic({ baseURL: gw.url(), apiKey: CLIENT_KEY, maxRetries: 0, timeout: 10_000 });
  return { fake, gw, client, anthropic };
}
