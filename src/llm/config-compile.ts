// Compiles the llm kind's part of the config (`backends.<name>.llm`) into LlmBackendSpec:
// defaults applied, base URLs resolved, and the credentials of bedrock (AWS) and vertex
// (Google) models read from the model or the environment at load, so a missing or bad one
// is a config error with a position rather than a failed call.
import { createHash, createPrivateKey } from 'node:crypto';
import { resolve } from 'node:path';
import { HTTP_BACKEND_DEFAULTS, Secret, byteSize, durationMs, type CompileHelpers, type Segment } from '../config/index.js';
import { LLM_DEFAULTS, LLM_LIMIT_DEFAULTS, type AwsModelSpec, type GoogleCredentials, type LlmBackendSpec, type LlmModelSpec, type VertexModelSpec, type VirtualModelSpec } from './spec.js';
import { awsConfigFromEnv } from './providers/aws-sigv4.js';
import type { LlmBackendConfig, LlmModelConfig } from './config-schema.js';

/** The base URL the OpenAI SDK uses by default. */
export const OPENAI_BASE_URL = 'https://api.openai.com/v1';
/** The base URL the Anthropic SDK uses by default (requests go to ${baseUrl}/v1/messages). */
export const ANTHROPIC_BASE_URL = 'https://api.anthropic.com';
/** The Gemini API's base URL (requests go to ${baseUrl}/v1beta/models/{model}:generateContent). */
export const GEMINI_BASE_URL = 'https://generativelanguage.googleapis.com';

/** Vertex AI's regional endpoint (the global location has no region prefix). */
export function vertexBaseUrl(location: string): string {
  return location === 'global' ? 'https://aiplatform.googleapis.com' : `https://${location}-aiplatform.googleapis.com`;
}

/** Compiles `backends.<name>.llm`: concrete and virtual models, credentials resolved at load. */
export function compileLlmBackend(b: LlmBackendConfig, name: string, h: CompileHelpers): LlmBackendSpec {
  const { at, ms } = h;
  const secrets = { add: h.secret };
  const keyHash = createHash('sha256');
  const limits = Object.freeze({
    maxEventBytes: byteSize(b.limits?.maxEventBytes, LLM_LIMIT_DEFAULTS.maxEventBytes),
    maxResponseBytes: byteSize(b.limits?.maxResponseBytes, LLM_LIMIT_DEFAULTS.maxResponseBytes),
  });
  const models: LlmModelSpec[] = [];
  const virtualModels: VirtualModelSpec[] = [];
  b.models.forEach((m, i) => {
    const path = ['backends', name, 'llm', 'models', i];
    if (m.provider === undefined) {
      // semantic.ts reported a model with neither provider nor targets.
      const targets = m.failover?.map((t) => ({ model: t, weight: 1 }))
        ?? m.loadBalance?.map((t) => ({ model: t.model, weight: t.weight ?? LLM_DEFAULTS.loadBalanceWeight })) ?? [];
      virtualModels.push({ name: m.name, strategy: m.failover !== undefined ? 'failover' : 'loadBalance', targets });
      return;
    }
    const provider = m.provider;
    const aws = provider === 'bedrock' ? compileAws(m, path, h) : undefined;
    if (aws !== undefined) {
      for (const s of [aws.secretAccessKey.reveal(), aws.sessionToken?.reveal()]) if (s !== undefined) secrets.add(s);
      keyHash.update(m.name).update('\0').update(aws.accessKeyId).update('\0').update(aws.secretAccessKey.reveal()).update('\0').update(aws.sessionToken?.reveal() ?? '').update('\0');
    }
    const vertex = provider === 'vertex' ? compileVertex(m, path, h) : undefined;
    if (vertex !== undefined) {
      const c = vertex.credentials;
      const hidden = c.type === 'service_account' ? [c.privateKey.reveal()] : [c.clientSecret.reveal(), c.refreshToken.reveal()];
      for (const s of hidden) { secrets.add(s); keyHash.update(s).update('\0'); }
    }
    const defaultUrl = aws !== undefined ? `https://bedrock-runtime.${aws.region}.amazonaws.com`
      : vertex !== undefined ? vertexBaseUrl(vertex.location)
        : provider === 'anthropic' ? ANTHROPIC_BASE_URL : provider === 'gemini' ? GEMINI_BASE_URL : OPENAI_BASE_URL;
    const raw = m.baseUrl ?? defaultUrl;
    let u: URL | null = null;
    try {
      u = new URL(raw);
    } catch {
      at([...path, 'baseUrl'], 'is not a valid URL');
    }
    if (u && (u.username || u.password)) at([...path, 'baseUrl'], 'credentials in the URL are not allowed; use apiKey');
    if (u && (u.search || u.hash)) at([...path, 'baseUrl'], 'the URL must not have a query or fragment');
    if (m.apiKey !== undefined) {
      secrets.add(m.apiKey);
      keyHash.update(m.name).update('\0').update(m.apiKey).update('\0');
    }
    for (const v of Object.values(m.headers ?? {})) secrets.add(v);
    const upstreamModel = m.model ?? m.name;
    models.push({
      name: m.name,
      provider,
      upstreamModel,
      origin: u?.origin ?? 'http://invalid',
      basePath: (u?.pathname ?? '').replace(/\/+$/, ''),
      host: u?.host ?? 'invalid',
      apiKey: m.apiKey === undefined ? null : new Secret(m.apiKey),
      headers: { ...m.headers },
      timeoutMs: ms([...path, 'timeout'], m.timeout, durationMs(LLM_DEFAULTS.llmTimeout, 0)),
      passthrough: m.passthrough ?? false,
      retries: m.retries ?? LLM_DEFAULTS.llmRetries,
      retryBackoffMs: ms([...path, 'retryBackoff'], m.retryBackoff, durationMs(LLM_DEFAULTS.llmRetryBackoff, 0)),
      maxRetryWaitMs: ms([...path, 'maxRetryWait'], m.maxRetryWait, durationMs(LLM_DEFAULTS.llmMaxRetryWait, 0)),
      price: m.price === undefined ? null : {
        input: m.price.input, output: m.price.output, cacheRead: m.price.cacheRead ?? m.price.input, cacheWrite: m.price.cacheWrite ?? m.price.input,
      },
      limits,
      ...(m.connections !== undefined ? { cap: {
        connections: m.connections,
        queueSize: m.queue?.size ?? HTTP_BACKEND_DEFAULTS.queueSize,
        queueTimeoutMs: ms([...path, 'queue', 'timeout'], m.queue?.timeout, HTTP_BACKEND_DEFAULTS.queueTimeoutMs),
      } } : {}),
      ...(provider === 'azure' ? { azure: { deployment: m.deployment ?? upstreamModel, apiVersion: m.apiVersion ?? LLM_DEFAULTS.azureApiVersion } } : {}),
      ...(vertex !== undefined ? { vertex } : {}),
      ...(aws !== undefined ? { aws } : {}),
    });
  });
  const cd = b.cooldown ?? {};
  const cooldown = {
    failures: cd.failures ?? LLM_DEFAULTS.cooldownFailures,
    durationMs: ms(['backends', name, 'llm', 'cooldown', 'duration'], cd.duration, durationMs(LLM_DEFAULTS.cooldownDuration, 0)),
  };
  // Secret serialises as [redacted]: the key hash makes a changed apiKey a changed backend.
  const key = JSON.stringify({ kind: 'llm', name, models, virtualModels, cooldown, limits, keys: keyHash.digest('hex') });
  return Object.freeze({ kind: 'llm' as const, name, models, virtualModels, cooldown, limits, key });
}

/** Largest Google credentials file read. */
const MAX_CREDENTIALS_BYTES = 64 * 1024;

/**
 * A vertex model's project, location and credentials: from the model, else from the
 * environment at load (GOOGLE_APPLICATION_CREDENTIALS, GOOGLE_CLOUD_PROJECT,
 * GOOGLE_CLOUD_LOCATION). The credentials file is read and checked here, so a bad one is a
 * config error with a position rather than a failed call.
 */
function compileVertex(m: LlmModelConfig, path: readonly Segment[], h: CompileHelpers): VertexModelSpec {
  const { env, baseDir, at, readSmallFile } = h;
  const file = m.credentials ?? env.GOOGLE_APPLICATION_CREDENTIALS;
  const where = m.credentials !== undefined ? [...path, 'credentials'] : path;
  let credentials: GoogleCredentials = { type: 'authorized_user', clientId: '', clientSecret: new Secret(''), refreshToken: new Secret(''), tokenUri: '' };
  let projectFromFile: string | undefined;
  if (file === undefined || file === '') {
    at(path, 'a vertex model needs Google credentials: set "credentials" to a service-account key file or GOOGLE_APPLICATION_CREDENTIALS in the environment');
  } else {
    const shown = m.credentials !== undefined ? `"${file}"` : 'GOOGLE_APPLICATION_CREDENTIALS';
    const text = readSmallFile(resolve(baseDir, file), MAX_CREDENTIALS_BYTES, (why) => { at(where, `cannot read the credentials file ${shown}: ${why}`); });
    if (text !== null) {
      const parsed = parseGoogleCredentials(text.toString('utf8'));
      if (typeof parsed === 'string') at(where, `the credentials file ${shown} ${parsed}`);
      else { credentials = parsed.credentials; projectFromFile = parsed.projectId; }
    }
  }
  const project = m.project ?? projectFromFile ?? env.GOOGLE_CLOUD_PROJECT ?? '';
  if (project === '') at(path, 'a vertex model needs a project: set "project", or GOOGLE_CLOUD_PROJECT in the environment');
  const location = m.location ?? env.GOOGLE_CLOUD_LOCATION ?? 'us-central1';
  if (!/^[a-z0-9-]{1,64}$/.test(location)) at(path, 'GOOGLE_CLOUD_LOCATION in the environment is not a location name (e.g. us-central1)');
  // Claude models on Vertex are published by Anthropic (claude-sonnet-4-5@20250929); the rest by Google.
  const publisher = /^claude-/.test(m.model ?? m.name) ? 'anthropic' : 'google';
  return { project, location, publisher, credentials };
}

/** Parses a Google credentials JSON file; a string says what is wrong with it. */
function parseGoogleCredentials(text: string): { credentials: GoogleCredentials; projectId: string | undefined } | string {
  let j: unknown;
  try { j = JSON.parse(text); } catch { return 'is not JSON'; }
  if (j === null || typeof j !== 'object' || Array.isArray(j)) return 'is not a JSON object';
  const o = j as Record<string, unknown>;
  const str = (k: string): string | undefined => (typeof o[k] === 'string' && o[k] !== '' ? o[k] : undefined);
  const tokenUri = str('token_uri') ?? 'https://oauth2.googleapis.com/token';
  if (!/^https?:\/\//.test(tokenUri)) return 'has a token_uri that is not an http(s) URL';
  const projectId = str('project_id') ?? str('quota_project_id');
  if (o.type === 'service_account') {
    const clientEmail = str('client_email');
    const privateKey = str('private_key');
    if (clientEmail === undefined || privateKey === undefined) return 'is a service-account key without client_email or private_key';
    try { createPrivateKey(privateKey); } catch { return 'has a private_key that is not a PEM private key'; }
    return { credentials: { type: 'service_account', clientEmail, privateKey: new Secret(privateKey), privateKeyId: str('private_key_id') ?? null, tokenUri }, projectId };
  }
  if (o.type === 'authorized_user') {
    const clientId = str('client_id');
    const clientSecret = str('client_secret');
    const refreshToken = str('refresh_token');
    if (clientId === undefined || clientSecret === undefined || refreshToken === undefined) return 'is an authorized_user file without client_id, client_secret or refresh_token';
    return { credentials: { type: 'authorized_user', clientId, clientSecret: new Secret(clientSecret), refreshToken: new Secret(refreshToken), tokenUri }, projectId };
  }
  return `has type ${JSON.stringify(o.type ?? null)}; expected "service_account" or "authorized_user"`;
}

/**
 * A bedrock model's region and credentials: from the model, else from the standard AWS
 * environment variables at load (awsConfigFromEnv). Either missing is a config error.
 */
function compileAws(m: LlmModelConfig, path: readonly Segment[], h: CompileHelpers): AwsModelSpec {
  const { env, at } = h;
  const fromEnv = awsConfigFromEnv(env);
  const region = m.region ?? fromEnv.region ?? '';
  if (region === '') at(path, 'a bedrock model needs a region: set "region" (e.g. us-east-1) or AWS_REGION / AWS_DEFAULT_REGION in the environment');
  else if (!/^[a-z0-9-]{1,64}$/.test(region)) at(path, 'AWS_REGION / AWS_DEFAULT_REGION in the environment is not a region name (e.g. us-east-1)');
  const c = m.aws ?? fromEnv.credentials;
  if (c === undefined) {
    at(path, 'a bedrock model needs AWS credentials: set "aws: { accessKeyId, secretAccessKey }" or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY in the environment');
  }
  return {
    region: region === '' ? 'invalid' : region,
    accessKeyId: c?.accessKeyId ?? '',
    secretAccessKey: new Secret(c?.secretAccessKey ?? ''),
    sessionToken: c?.sessionToken !== undefined ? new Secret(c.sessionToken) : null,
  };
}
