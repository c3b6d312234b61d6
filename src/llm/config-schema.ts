// The schema of `backends.<name>.llm`: the llm kind's part of the config file. Built from
// the same parts as the rest of the schema (config/schema.ts), so the generated JSON Schema
// and docs/config.md read the same throughout.
import { Type, type Static } from '@sinclair/typebox';
import { Closed, StringEnum, UpstreamQueue, durationSchema as duration, sizeSchema as byteSize } from '../config/index.js';
import { LLM_DEFAULTS } from './spec.js';

/** Providers the llm backend speaks. */
export const LLM_PROVIDERS = ['openai', 'openai-compatible', 'azure', 'anthropic', 'gemini', 'vertex', 'bedrock'] as const;

const modelRef = (description: string) => Type.String({ pattern: '^[^\\s]{1,256}$', 'x-expected': 'the name of a model of this backend', description });

export const LlmPrice = Closed({
  input: Type.Number({ minimum: 0, description: 'USD per million input tokens (not read from or written to the cache).' }),
  output: Type.Number({ minimum: 0, description: 'USD per million output tokens.' }),
  cacheRead: Type.Optional(Type.Number({ minimum: 0, description: 'USD per million input tokens read from the prompt cache; defaults to `input`.' })),
  cacheWrite: Type.Optional(Type.Number({ minimum: 0, description: 'USD per million input tokens written to the prompt cache; defaults to `input`.' })),
}, { description: 'The price of this model in USD per million tokens, overriding the bundled price table (@pydantic/genai-prices). Without it a model the table does not know has an unknown cost, never $0.' });

export const LlmModel = Closed({
  name: Type.String({ pattern: '^[^\\s]{1,256}$', 'x-expected': 'a model name of 1 to 256 characters without spaces', description: 'The name clients send in "model"; unique within the backend.' }),
  provider: Type.Optional(StringEnum(LLM_PROVIDERS, { description: 'Who serves the model: "openai" (api.openai.com), "openai-compatible" (any server with the OpenAI API: vLLM, Ollama, Groq, …), "azure" (Azure OpenAI deployments), "anthropic" (the Anthropic Messages API), "gemini" (the Google AI Gemini API), "vertex" (Gemini and Claude models on Google Vertex AI) or "bedrock" (Amazon Bedrock Converse, SigV4-signed). Formats are translated between the client\'s API and the provider\'s. A virtual model has `failover` or `loadBalance` instead.' })),
  model: Type.Optional(Type.String({ minLength: 1, description: 'The model name sent upstream, when it differs from `name` (for vertex, e.g. gemini-2.0-flash or claude-sonnet-4-5@20250929).' })),
  apiKey: Type.Optional(Type.String({ minLength: 1, 'x-secret': true, description: 'The key sent upstream as "Authorization: Bearer …" (as "x-api-key" for anthropic, "x-goog-api-key" for gemini, "api-key" for azure); required for openai, azure, anthropic and gemini, optional for openai-compatible; not allowed for bedrock (AWS signing) and vertex (Google credentials). Best given as ${VAR}. The client\'s own credentials are never forwarded unless `passthrough` is set.' })),
  passthrough: Type.Optional(Type.Boolean({ default: false, description: 'Forward the client\'s own Authorization / x-api-key / api-key header upstream as it came (the caller brings its provider key). The model\'s apiKey is then used only when the client sent none.' })),
  baseUrl: Type.Optional(Type.String({ pattern: '^https?://', 'x-expected': 'an http:// or https:// URL', description: 'The base URL the provider\'s own SDK uses, ending in /v1 for OpenAI-style APIs (e.g. http://localhost:11434/v1). Defaults to https://api.openai.com/v1 for openai, https://api.anthropic.com for anthropic, https://generativelanguage.googleapis.com for gemini, https://{location}-aiplatform.googleapis.com for vertex and https://bedrock-runtime.{region}.amazonaws.com for bedrock; required for openai-compatible and azure (https://{resource}.openai.azure.com).' })),
  headers: Type.Optional(Type.Record(
    Type.String({ pattern: '^[A-Za-z0-9!#$%&\'*+.^_`|~-]+$' }),
    Type.String({ pattern: '^[^\\r\\n\\u0000]*$', 'x-expected': 'a header value without line breaks', 'x-secret': true, description: 'A header value (redacted by the admin API).' }),
    { additionalProperties: false, 'x-key': 'a header name', description: 'Extra headers sent upstream with every request for this model.' },
  )),
  deployment: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9._-]{1,64}$', 'x-expected': 'an Azure deployment name', description: 'azure only: the deployment name in the URL (…/openai/deployments/{deployment}/…); defaults to `model`, then `name`.' })),
  apiVersion: Type.Optional(Type.String({ pattern: '^[0-9]{4}-[0-9]{2}-[0-9]{2}(-preview)?$', 'x-expected': 'an Azure api-version such as 2024-10-21', description: 'azure only: the api-version query parameter.', default: LLM_DEFAULTS.azureApiVersion })),
  project: Type.Optional(Type.String({ pattern: '^[a-z][a-z0-9-]{4,62}$', 'x-expected': 'a Google Cloud project id', description: 'vertex only: the Google Cloud project. Defaults to the credentials file\'s project_id, then GOOGLE_CLOUD_PROJECT from the environment at load.' })),
  location: Type.Optional(Type.String({ pattern: '^[a-z0-9-]{1,64}$', 'x-expected': 'a Google Cloud location such as us-central1 or global', description: 'vertex only: the location (region) serving the model, e.g. us-central1, europe-west4 or global. Defaults to GOOGLE_CLOUD_LOCATION from the environment at load, then us-central1.' })),
  credentials: Type.Optional(Type.String({ minLength: 1, description: 'vertex only: a Google credentials JSON file (a service-account key, or the authorized_user file `gcloud auth application-default login` writes), relative to the config file. Defaults to GOOGLE_APPLICATION_CREDENTIALS from the environment at load. The access token is fetched from its token_uri and cached until shortly before it expires.' })),
  region: Type.Optional(Type.String({ pattern: '^[a-z0-9-]{1,64}$', 'x-expected': 'an AWS region such as us-east-1', description: 'bedrock only: the AWS region (e.g. us-east-1), used for the default baseUrl and for signing. Defaults to AWS_REGION, then AWS_DEFAULT_REGION, from the environment at load.' })),
  aws: Type.Optional(Closed({
    accessKeyId: Type.String({ minLength: 1, description: 'The AWS access key id (AKIA… or ASIA…).' }),
    secretAccessKey: Type.String({ minLength: 1, 'x-secret': true, description: 'The AWS secret access key. Best given as ${VAR}.' }),
    sessionToken: Type.Optional(Type.String({ minLength: 1, 'x-secret': true, description: 'The session token of temporary credentials (STS). Best given as ${VAR}.' })),
  }, { description: 'bedrock only: the AWS credentials requests are signed with (SigV4). Without it, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN are read from the environment at load.' })),
  timeout: Type.Optional(duration('Time allowed until the upstream answers with response headers, and the longest pause between two chunks of its body. Slower → 504 (or an error event in a stream).', { default: LLM_DEFAULTS.llmTimeout })),
  retries: Type.Optional(Type.Integer({ minimum: 0, maximum: 5, default: LLM_DEFAULTS.llmRetries, description: 'Further attempts at this model after a connection failure, a 5xx or a 429, before anything was sent to the client. Waits `retryBackoff`, doubled each time (with jitter), or the upstream\'s retry-after when longer; a retry-after beyond `maxRetryWait` ends the retries. Then a virtual model fails over to its next target.' })),
  retryBackoff: Type.Optional(duration('The wait before the first retry; each further retry waits twice as long (with jitter).', { default: LLM_DEFAULTS.llmRetryBackoff })),
  maxRetryWait: Type.Optional(duration('The longest wait before a retry; an upstream asking (retry-after) for longer is not retried but failed over (or its 429 passed on).', { default: LLM_DEFAULTS.llmMaxRetryWait })),
  price: Type.Optional(LlmPrice),
  connections: Type.Optional(Type.Integer({ minimum: 1, maximum: 100000, description: 'Most calls to this model in flight at once, per gateway process (a stream counts until it ends; each call holds one upstream connection). Calls over it wait in `queue`; one refused there (503 with retry-after) is not retried, and a virtual model moves on to its next target. Unset (the default): no cap, since providers take thousands of concurrent streams and a stream holds its connection for minutes.' })),
  queue: Type.Optional(UpstreamQueue),
  failover: Type.Optional(Type.Array(modelRef('A model of this backend.'), { minItems: 1, uniqueItems: true, description: 'A virtual model: tries these models in order, moving on after a connection failure, a 5xx or a 429 (after that model\'s own retries), as long as nothing was sent to the client yet. Models cooling down are tried last.' })),
  loadBalance: Type.Optional(Type.Array(Closed({
    model: modelRef('A model of this backend.'),
    weight: Type.Optional(Type.Integer({ minimum: 0, maximum: 1000000, default: LLM_DEFAULTS.loadBalanceWeight, description: 'Share of the calls, relative to the others; 0 takes the model out of rotation (it still serves as a fallback).' })),
  }), { minItems: 1, description: 'A virtual model: spreads calls over these models by weight; a call that fails (as for failover) moves on to the others, by weight.' })),
}, { description: 'One model clients can call: a concrete model (with `provider`), or a virtual model (with `failover` or `loadBalance`) over the concrete models of the same backend.' });

export const LlmBackend = Closed({
  models: Type.Array(LlmModel, { minItems: 1, description: 'The models this backend serves; a request names one in "model".' }),
  cooldown: Type.Optional(Closed({
    failures: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: LLM_DEFAULTS.cooldownFailures, description: 'Consecutive failed calls (connection failure, 5xx, 429) that take a model out of virtual models\' rotation.' })),
    duration: Type.Optional(duration('How long a failing model stays out of rotation; a 429 with a longer retry-after keeps it out that long (up to 10 times this).', { default: LLM_DEFAULTS.cooldownDuration })),
  }, { description: 'Taking failing models out of the rotation of virtual models for a while. When every target of a virtual model is cooling down they are all tried anyway: a call is never refused for it.' })),
  limits: Type.Optional(Closed({
    maxEventBytes: Type.Optional(byteSize('Largest event of an upstream event stream (SSE). An event is passed on or translated once it is whole, so this is what one stream may hold in memory; past it the client\'s stream ends with one error event (AE_UPSTREAM_PROTOCOL) and the upstream call is aborted. Generous by default: a Responses `response.completed` event repeats the whole output, a Gemini event may carry an image.', { default: LLM_DEFAULTS.llmMaxEventBytes })),
    maxResponseBytes: Type.Optional(byteSize('Largest upstream JSON answer read whole to translate it into another API\'s shape; larger → 502 (AE_UPSTREAM_PROTOCOL) and the upstream call is aborted. Answers passed through in their own format stream and are not limited.', { default: LLM_DEFAULTS.llmMaxResponseBytes })),
  }, { description: 'Limits on what the gateway reads of upstream answers (an upstream is untrusted too).' })),
}, { description: 'An LLM gateway: serves P/chat/completions, P/responses, P/embeddings and P/models (OpenAI shapes) and P/messages (Anthropic shape) under the route prefix P, and forwards each request to the provider of the model it names.' });

export type LlmBackendConfig = Static<typeof LlmBackend>;
export type LlmModelConfig = Static<typeof LlmModel>;
export type LlmPriceConfig = Static<typeof LlmPrice>;
