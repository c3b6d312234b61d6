// The llm kind's checks the schema cannot express: unique model names, a virtual model's
// targets that resolve to concrete models, keys that belong to another provider or to a
// concrete model only. Each issue names its path; config/semantic.ts runs them at load.
import { suggest, type PathIssue, type Segment } from '../config/index.js';
import type { LlmBackendConfig, LlmModelConfig } from './config-schema.js';

type SemanticIssue = PathIssue;

/** Issues of `backends.<name>.llm`, at paths under `path`. */
export function llmBackendIssues(b: LlmBackendConfig, path: readonly Segment[]): SemanticIssue[] {
  const issues: SemanticIssue[] = [];
  const seen = new Map<string, number>();
  const llmModels = b.models;
  const concrete = new Set(llmModels.filter((m) => m.provider !== undefined).map((m) => m.name));
  llmModels.forEach((m, i) => {
    const at = [...path, 'models', i];
    const dup = seen.get(m.name);
    if (dup !== undefined) issues.push({ path: [...at, 'name'], message: `duplicate model name "${m.name}" (also models[${dup}])` });
    else seen.set(m.name, i);
    if (m.provider === undefined) issues.push(...checkVirtualModel(m, at, concrete, llmModels));
    else issues.push(...checkConcreteModel(m, m.provider, at));
  });
  return issues;
}

/** Keys only a concrete model (one with a provider) has. */
const CONCRETE_KEYS = ['model', 'apiKey', 'passthrough', 'baseUrl', 'headers', 'deployment', 'apiVersion', 'project', 'location', 'credentials', 'region', 'aws', 'timeout', 'retries', 'retryBackoff', 'maxRetryWait', 'price', 'connections', 'queue'] as const;

/** Keys that belong to one provider. */
const PROVIDER_KEYS: readonly [keyof LlmModelConfig, LlmProviderName, string][] = [
  ['region', 'bedrock', 'region'], ['aws', 'bedrock', 'aws credentials'],
  ['deployment', 'azure', 'deployment'], ['apiVersion', 'azure', 'apiVersion'],
  ['project', 'vertex', 'project'], ['location', 'vertex', 'location'], ['credentials', 'vertex', 'credentials'],
];

type LlmProviderName = NonNullable<LlmModelConfig['provider']>;

function checkConcreteModel(m: LlmModelConfig, provider: LlmProviderName, path: readonly Segment[]): SemanticIssue[] {
  const issues: SemanticIssue[] = [];
  const issue = (at: readonly Segment[], message: string): void => { issues.push({ path: at, message }); };
  if (m.failover !== undefined || m.loadBalance !== undefined) {
    issue([...path, m.failover !== undefined ? 'failover' : 'loadBalance'], 'a model has either a provider or failover / loadBalance targets, not both');
  }
  for (const [key, owner, what] of PROVIDER_KEYS) {
    if (m[key] !== undefined && provider !== owner) issue([...path, key], `${what} is only for ${owner} models, not ${provider}`);
  }
  if ((provider === 'bedrock' || provider === 'vertex') && m.apiKey !== undefined) {
    issue([...path, 'apiKey'], provider === 'bedrock'
      ? 'a bedrock model does not use apiKey: requests are signed with AWS credentials (aws: { accessKeyId, secretAccessKey } or AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY in the environment)'
      : 'a vertex model does not use apiKey: its access token comes from Google credentials (credentials: a key file, or GOOGLE_APPLICATION_CREDENTIALS)');
  }
  if (m.queue !== undefined && m.connections === undefined) issue([...path, 'queue'], 'a queue has no effect without connections: set connections (the most calls in flight to this model) or remove queue');
  if ((provider === 'bedrock' || provider === 'vertex') && m.passthrough === true) issue([...path, 'passthrough'], `passthrough is not available for ${provider} models: their requests are signed with the gateway's credentials`);
  if ((provider === 'openai-compatible' || provider === 'azure') && m.baseUrl === undefined) {
    issue(path, provider === 'azure' ? 'an azure model needs a baseUrl (https://{resource}.openai.azure.com)' : 'an openai-compatible model needs a baseUrl (e.g. http://localhost:11434/v1)');
  }
  if (m.apiKey === undefined && m.passthrough !== true) {
    if (provider === 'openai' || provider === 'anthropic' || provider === 'azure') issue(path, `an ${provider} model needs an apiKey (best given from the environment), or passthrough: true`);
    if (provider === 'gemini') issue(path, 'a gemini model needs an apiKey (a Google AI Studio key, sent as x-goog-api-key; best given from the environment), or passthrough: true');
  }
  if (provider === 'gemini' && !/^(models\/)?[A-Za-z0-9][A-Za-z0-9._-]*$/.test(m.model ?? m.name)) {
    issue([...path, m.model === undefined ? 'name' : 'model'], `"${m.model ?? m.name}" is not a gemini model id (e.g. gemini-2.0-flash); set "model" to the upstream id`);
  }
  if (provider === 'vertex' && !/^[A-Za-z0-9][A-Za-z0-9._@-]*$/.test(m.model ?? m.name)) {
    issue([...path, m.model === undefined ? 'name' : 'model'], `"${m.model ?? m.name}" is not a vertex model id (e.g. gemini-2.0-flash or claude-sonnet-4-5@20250929); set "model" to the upstream id`);
  }
  if (provider === 'gemini' && m.baseUrl !== undefined && /\/v1(beta|alpha)?\/?$/.test(m.baseUrl)) {
    issue([...path, 'baseUrl'], 'a gemini baseUrl is the API root without the version (e.g. https://generativelanguage.googleapis.com); /v1beta/models/… is added');
  }
  if (provider === 'azure' && m.baseUrl !== undefined && /\/openai(\/|$)/.test(new URL(m.baseUrl, 'http://x').pathname)) {
    issue([...path, 'baseUrl'], 'an azure baseUrl is the resource endpoint (https://{resource}.openai.azure.com); /openai/deployments/… is added');
  }
  return issues;
}

function checkVirtualModel(m: LlmModelConfig, path: readonly Segment[], concrete: ReadonlySet<string>, all: readonly LlmModelConfig[]): SemanticIssue[] {
  const issues: SemanticIssue[] = [];
  if (m.failover === undefined && m.loadBalance === undefined) {
    return [{ path, message: 'a model needs a provider (a concrete model) or failover / loadBalance targets (a virtual model)' }];
  }
  if (m.failover !== undefined && m.loadBalance !== undefined) issues.push({ path: [...path, 'loadBalance'], message: 'a virtual model has failover or loadBalance, not both' });
  for (const key of CONCRETE_KEYS) {
    if (m[key] !== undefined) issues.push({ path: [...path, key], message: `${key} belongs on the concrete models a virtual model points at, not on the virtual model "${m.name}"` });
  }
  const refs = m.failover?.map((t, j) => ({ t, at: [...path, 'failover', j] }))
    ?? m.loadBalance?.map((t, j) => ({ t: t.model, at: [...path, 'loadBalance', j, 'model'] })) ?? [];
  const seen = new Set<string>();
  for (const { t, at } of refs) {
    if (seen.has(t)) issues.push({ path: at, message: `"${t}" is listed twice` });
    seen.add(t);
    if (concrete.has(t)) continue;
    if (all.some((o) => o.name === t)) issues.push({ path: at, message: `"${t}" is itself a virtual model; targets must be models with a provider` });
    else issues.push({ path: at, message: `unknown model "${t}"${suggest(t, concrete, 'models')}` });
  }
  if (m.loadBalance !== undefined && m.loadBalance.every((t) => (t.weight ?? 1) === 0)) {
    issues.push({ path: [...path, 'loadBalance'], message: 'at least one target needs a weight above 0' });
  }
  return issues;
}
