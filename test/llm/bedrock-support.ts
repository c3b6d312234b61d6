// A fake Amazon Bedrock runtime for llm tests, on 127.0.0.1 port 0. It checks every request's
// SigV4 Authorization header by recomputing it with signRequest from what it received (path
// as sent, the signed headers' values, the body bytes, x-amz-date) and the credentials it
// expects: a wrong signature is answered 403 InvalidSignatureException, as AWS does.
// POST /model/{id}/converse answers Converse JSON; /converse-stream answers real binary
// event-stream frames (messageStart, contentBlock*, messageStop, metadata). A text answer, or
// a get_weather toolUse when the request has tools and no toolResult yet.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import OpenAI from 'openai';
import { encodeEventStreamMessage } from '../../src/llm/providers/aws-eventstream.js';
import { signRequest, type AwsCredentials } from '../../src/llm/providers/aws-sigv4.js';
import { startGateway, type TestGateway } from '../helpers/gateway.js';

export const AWS_CREDS: AwsCredentials = { accessKeyId: 'AKIDEXAMPLEBEDROCK01', secretAccessKey: 'bedrock-secret-key-do-not-leak-0123456789' };
export const REGION = 'eu-west-3';
export const MODEL_ID = 'anthropic.claude-3-5-sonnet-20240620-v1:0';
export const CLIENT_KEY = 'sk-client-key-should-not-leak';
export const USAGE = { inputTokens: 20, outputTokens: 9, totalTokens: 34, cacheReadInputTokens: 5 };

export interface BedrockRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  raw: Buffer;
  body: Record<string, any>;
  /** null when the signature verified; otherwise why not. */
  signatureProblem: string | null;
}

export type BedrockHandler = (req: BedrockRequest, res: http.ServerResponse) => void;

export interface FakeBedrock {
  url: string;
  received: BedrockRequest[];
  /** Replaces the answer for signed requests. */
  on(handler: BedrockHandler): void;
  close(): Promise<void>;
}

/** One event-stream frame as ConverseStream sends it (with the `p` padding field Bedrock adds). */
export function eventFrame(type: string, body: Record<string, unknown>): Buffer {
  return encodeEventStreamMessage(
    { ':event-type': type, ':content-type': 'application/json', ':message-type': 'event' },
    JSON.stringify({ ...body, p: 'abcdefgh' }),
  );
}

export function exceptionFrame(type: string, message: string): Buffer {
  return encodeEventStreamMessage(
    { ':exception-type': type, ':content-type': 'application/json', ':message-type': 'exception' },
    JSON.stringify({ message }),
  );
}

/** The frames of a streamed answer: text "Hello wörld 👋", or text then a get_weather toolUse with its input in fragments. */
export function streamFrames(toolCall: boolean): Buffer[] {
  const frames = [eventFrame('messageStart', { role: 'assistant' })];
  if (toolCall) {
    frames.push(
      eventFrame('contentBlockDelta', { contentBlockIndex: 0, delta: { text: 'Let me check.' } }),
      eventFrame('contentBlockStop', { contentBlockIndex: 0 }),
      eventFrame('contentBlockStart', { contentBlockIndex: 1, start: { toolUse: { toolUseId: 'tooluse_1', name: 'get_weather' } } }),
    );
    for (const part of ['{"ci', 'ty": "Par', 'is"}']) frames.push(eventFrame('contentBlockDelta', { contentBlockIndex: 1, delta: { toolUse: { input: part } } }));
    frames.push(eventFrame('contentBlockStop', { contentBlockIndex: 1 }), eventFrame('messageStop', { stopReason: 'tool_use' }));
  } else {
    frames.push(
      eventFrame('contentBlockDelta', { contentBlockIndex: 0, delta: { text: 'Hello' } }),
      eventFrame('contentBlockDelta', { contentBlockIndex: 0, delta: { text: ' wörld 👋' } }),
      eventFrame('contentBlockStop', { contentBlockIndex: 0 }),
      eventFrame('messageStop', { stopReason: 'end_turn' }),
    );
  }
  frames.push(eventFrame('metadata', { usage: USAGE, metrics: { latencyMs: 120 } }));
  return frames;
}

function wantsTool(body: Record<string, any>): boolean {
  return body.toolConfig !== undefined && !body.messages.some((m: any) => m.content.some((b: any) => b.toolResult !== undefined));
}

/** Writes frames with their bytes split across writes mid-frame, to exercise reassembly. */
export function writeSplit(res: http.ServerResponse, frames: Buffer[]): void {
  const all = Buffer.concat(frames);
  for (let i = 0; i < all.length; i += 37) res.write(all.subarray(i, i + 37));
}

function converse(req: BedrockRequest, res: http.ServerResponse): void {
  const toolCall = wantsTool(req.body);
  if (req.url.endsWith('/converse-stream')) {
    res.writeHead(200, { 'content-type': 'application/vnd.amazon.eventstream', 'x-amzn-requestid': 'req-fake' });
    writeSplit(res, streamFrames(toolCall));
    res.end();
    return;
  }
  const content = toolCall
    ? [{ text: 'Let me check.' }, { toolUse: { toolUseId: 'tooluse_1', name: 'get_weather', input: { city: 'Paris' } } }]
    : [{ text: 'Hello world' }];
  res.writeHead(200, { 'content-type': 'application/json', 'x-amzn-requestid': 'req-fake' });
  res.end(JSON.stringify({ output: { message: { role: 'assistant', content } }, stopReason: toolCall ? 'tool_use' : 'end_turn', usage: USAGE, metrics: { latencyMs: 120 } }));
}

/** Recomputes the SigV4 signature of a received request; null when it matches. */
export function verifySignature(req: { method: string; url: string; headers: http.IncomingHttpHeaders; raw: Buffer }, creds: AwsCredentials, region: string): string | null {
  const auth = req.headers.authorization;
  if (typeof auth !== 'string') return 'no authorization header';
  const m = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, SignedHeaders=([^,]+), Signature=([0-9a-f]{64})$/.exec(auth);
  if (m === null) return `malformed authorization header: ${auth}`;
  const [, keyId, , scopeRegion, service, signedHeaders, signature] = m;
  if (keyId !== creds.accessKeyId) return `wrong access key id ${keyId}`;
  if (scopeRegion !== region) return `wrong region ${scopeRegion}`;
  if (service !== 'bedrock') return `wrong service ${service}`;
  const stamp = req.headers['x-amz-date'];
  if (typeof stamp !== 'string') return 'no x-amz-date';
  const d = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(stamp);
  if (d === null) return `bad x-amz-date ${stamp}`;
  const date = new Date(Date.UTC(+d[1]!, +d[2]! - 1, +d[3]!, +d[4]!, +d[5]!, +d[6]!));
  const names = signedHeaders!.split(';');
  for (const n of ['host', 'x-amz-date']) if (!names.includes(n)) return `${n} is not signed`;
  if (creds.sessionToken !== undefined && req.headers['x-amz-security-token'] !== creds.sessionToken) return 'wrong or missing x-amz-security-token';
  const headers: Record<string, string> = {};
  for (const n of names) {
    if (n === 'host' || n === 'x-amz-date' || n === 'x-amz-security-token') continue;
    const v = req.headers[n];
    if (typeof v !== 'string') return `signed header ${n} missing`;
    headers[n] = v;
  }
  const expected = signRequest({
    method: req.method,
    url: `http://${req.headers.host}${req.url}`,
    headers,
    body: req.raw,
    region,
    service: 'bedrock',
    credentials: creds,
    date,
  });
  if (expected.signedHeaders !== signedHeaders) return `signed headers differ: ${signedHeaders} vs ${expected.signedHeaders}`;
  if (expected.signature !== signature) return 'signature mismatch';
  return null;
}

export async function startFakeBedrock(creds: AwsCredentials = AWS_CREDS, region = REGION): Promise<FakeBedrock> {
  const received: BedrockRequest[] = [];
  let handler: BedrockHandler = converse;
  const server = http.createServer((raw, res) => {
    const chunks: Buffer[] = [];
    raw.on('data', (c: Buffer) => chunks.push(c));
    raw.on('end', () => {
      const bytes = Buffer.concat(chunks);
      let body: Record<string, any>;
      try { body = bytes.length ? JSON.parse(bytes.toString()) : {}; } catch { body = { unparsable: bytes.toString() }; }
      const base = { method: raw.method!, url: raw.url!, headers: raw.headers, raw: bytes };
      const req: BedrockRequest = { ...base, body, signatureProblem: verifySignature(base, creds, region) };
      received.push(req);
      if (req.signatureProblem !== null) {
        res.writeHead(403, { 'content-type': 'application/json', 'x-amzn-errortype': 'InvalidSignatureException:http://internal.amazon.com/coral/com.amazon.coral.service/' });
        res.end(JSON.stringify({ message: 'The request signature we calculated does not match the signature you provided.' }));
        return;
      }
      if (raw.method !== 'POST' || !/^\/model\/[^/]+\/converse(-stream)?$/.test(raw.url!)) {
        res.writeHead(404, { 'content-type': 'application/json', 'x-amzn-errortype': 'UnknownOperationException' });
        res.end(JSON.stringify({ message: 'Unknown operation' }));
        return;
      }
      handler(req, res);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url, received,
    on: (h) => { handler = h; },
    close: () => new Promise<void>((r) => { server.close(() => r()); server.closeAllConnections(); }),
  };
}

export interface BedrockSetup {
  fake: FakeBedrock;
  gw: TestGateway;
  client: OpenAI;
}

/** A gateway YAML with model "claude" on bedrock at `url`; `extra` adds keys to the model (region, aws). */
export function bedrockYaml(url: string, extra = `          region: ${REGION}
          aws:
            accessKeyId: ${AWS_CREDS.accessKeyId}
            secretAccessKey: ${AWS_CREDS.secretAccessKey}
`): string {
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
        - name: claude
          provider: bedrock
          model: ${MODEL_ID}
          baseUrl: ${url}
${extra}`;
}

/** Fake Bedrock, a gateway with model "claude" on it (credentials in config), and an OpenAI SDK client; closed after the test. */
export async function setupBedrock(
  t: { after(fn: () => Promise<void>): void },
  opts: { creds?: AwsCredentials; extra?: string; env?: Record<string, string> } = {},
): Promise<BedrockSetup> {
  const fake = await startFakeBedrock(opts.creds ?? AWS_CREDS);
  const gw = await startGateway(bedrockYaml(fake.url, opts.extra), { env: opts.env ?? {} });
  t.after(async () => { await gw.close(); await fake.close(); });
  const client = new OpenAI({ baseURL: `${gw.url()}/v1`, apiKey: CLIENT_KEY, maxRetries: 0, timeout: 10_000 });
  return { fake, gw, client };
}
