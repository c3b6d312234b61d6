// The llm kind's runtime model: what `backends.<name>.llm` compiles to (config-compile.ts)
// and the backend serves from, and its defaults as written in a config file (the schema
// fragment states them, config-compile.ts applies them). Registered with config's
// BackendSpecs in kind.ts.
import { byteSize, type BackendSpec, type Secret } from '../config/index.js';

/** Defaults of `backends.<name>.llm`, as written in a config file. */
export const LLM_DEFAULTS = Object.freeze({
  llmTimeout: '600s',
  llmRetries: 0,
  llmRetryBackoff: '500ms',
  llmMaxRetryWait: '10s',
  llmMaxEventBytes: '16mb',
  llmMaxResponseBytes: '32mb',
  cooldownFailures: 3,
  cooldownDuration: '30s',
  loadBalanceWeight: 1,
  azureApiVersion: '2024-10-21',
} as const);

/** The llm backend's limits on upstream answers when the config sets none. */
export const LLM_LIMIT_DEFAULTS: LlmLimitsSpec = Object.freeze({
  maxEventBytes: byteSize(LLM_DEFAULTS.llmMaxEventBytes, 0),
  maxResponseBytes: byteSize(LLM_DEFAULTS.llmMaxResponseBytes, 0),
});

export type LlmProvider = 'openai' | 'openai-compatible' | 'azure' | 'anthropic' | 'gemini' | 'vertex' | 'bedrock';

export interface LlmModelSpec {
  /** What clients send in "model". */
  readonly name: string;
  readonly provider: LlmProvider;
  /** What is sent upstream in "model". */
  readonly upstreamModel: string;
  /** Origin of baseUrl, e.g. https://api.openai.com. */
  readonly origin: string;
  /** Path of baseUrl without a trailing slash, e.g. /v1. */
  readonly basePath: string;
  readonly host: string;
  readonly apiKey: Secret | null;
  readonly headers: Readonly<Record<string, string>>;
  readonly timeoutMs: number;
  /** Forward the client's own credential headers (the apiKey only when the client sent none). */
  readonly passthrough: boolean;
  /** Further attempts after a retryable failure (connect error, 5xx, 429) before anything reached the client. */
  readonly retries: number;
  readonly retryBackoffMs: number;
  readonly maxRetryWaitMs: number;
  /** Price override in USD per million tokens; null: the bundled price table. */
  readonly price: LlmPriceSpec | null;
  /** The backend's limits on upstream answers (one object shared by its models). */
  readonly limits: LlmLimitsSpec;
  /** The model's concurrency cap (`connections` and `queue`); absent: no cap. */
  readonly cap?: ModelCapSpec;
  /** azure only: the deployment in the URL and the api-version. */
  readonly azure?: { readonly deployment: string; readonly apiVersion: string };
  /** vertex only: where the model lives and the credentials its access token comes from. */
  readonly vertex?: VertexModelSpec;
  /** bedrock only: the region and the credentials requests are signed with (from config or the env at load). */
  readonly aws?: AwsModelSpec;
}

export interface LlmLimitsSpec {
  /** Largest SSE event held while it is unfinished; past it the stream fails. */
  readonly maxEventBytes: number;
  /** Largest JSON answer read whole to translate it. */
  readonly maxResponseBytes: number;
}

export interface ModelCapSpec {
  /** Most calls in flight. */
  readonly connections: number;
  /** Most calls waiting for a slot; 0 refuses at once over the cap. */
  readonly queueSize: number;
  /** Longest wait for a slot; 0: no limit. */
  readonly queueTimeoutMs: number;
}

export interface LlmPriceSpec {
  /** USD per million tokens. */
  readonly input: number;
  readonly output: number;
  readonly cacheRead: number;
  readonly cacheWrite: number;
}

export interface VertexModelSpec {
  readonly project: string;
  readonly location: string;
  /** Who publishes the model on Vertex: google (Gemini, generateContent) or anthropic (Claude, rawPredict). */
  readonly publisher: 'google' | 'anthropic';
  readonly credentials: GoogleCredentials;
}

/** A Google credentials file, parsed at load (the access token is fetched at run time). */
export type GoogleCredentials =
  | { readonly type: 'service_account'; readonly clientEmail: string; readonly privateKey: Secret; readonly privateKeyId: string | null; readonly tokenUri: string }
  | { readonly type: 'authorized_user'; readonly clientId: string; readonly clientSecret: Secret; readonly refreshToken: Secret; readonly tokenUri: string };

/** A virtual model: calls go to its targets (concrete models of the same backend). */
export interface VirtualModelSpec {
  readonly name: string;
  readonly strategy: 'failover' | 'loadBalance';
  /** In order for failover; weights for loadBalance (1 for failover). */
  readonly targets: readonly { readonly model: string; readonly weight: number }[];
}

export interface AwsModelSpec {
  readonly region: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: Secret;
  readonly sessionToken: Secret | null;
}

export interface LlmBackendSpec extends BackendSpec {
  readonly kind: 'llm';
  readonly name: string;
  /** The concrete models. */
  readonly models: readonly LlmModelSpec[];
  readonly virtualModels: readonly VirtualModelSpec[];
  /** Consecutive failures that take a model out of virtual models' rotation, and for how long. */
  readonly cooldown: { readonly failures: number; readonly durationMs: number };
  readonly limits: LlmLimitsSpec;
  /** Equal keys mean the live handler can be reused across a reload (keys are hashed in). */
  readonly key: string;
}
