// Providers that speak the OpenAI API themselves: openai, openai-compatible and azure. Their
// bodies pass through (backend.ts); only where the request goes and how it is authorised
// differ. Azure OpenAI (learn.microsoft.com, "Azure OpenAI REST API reference" and "API
// version lifecycle"):
// - chat/completions and embeddings address a deployment,
//   {resource}/openai/deployments/{deployment}/{endpoint}?api-version={apiVersion};
// - the Responses API lives only on the v1 surface, {resource}/openai/v1/responses, which
//   takes no dated api-version and names the deployment in the body's `model`;
// - the key goes in an `api-key` header (never Authorization, which Azure reads as an
//   Entra ID token).
import type { LlmModelSpec, LlmProvider } from '../spec.js';

export type OpenAIEndpoint = 'chat/completions' | 'embeddings' | 'responses';

/** True for the providers whose wire format is the OpenAI API. */
export function speaksOpenAI(provider: LlmProvider): boolean {
  return provider === 'openai' || provider === 'openai-compatible' || provider === 'azure';
}

export interface OpenAICallTarget {
  /** Path (and query) under the model's origin. */
  path: string;
  /** The header carrying the backend's key, if it has one. */
  headers: Record<string, string>;
  /** What to put in the body's `model`: the upstream model, or the deployment on Azure. */
  model: string;
}

/**
 * Where an OpenAI-API call for `model` goes, and the header carrying the backend's key.
 * `query` is the client's query string ("" or starting with "?"); it is kept.
 */
export function openAICall(model: LlmModelSpec, endpoint: OpenAIEndpoint, query: string): OpenAICallTarget {
  const headers: Record<string, string> = {};
  if (model.azure !== undefined) {
    if (model.apiKey !== null) headers['api-key'] = model.apiKey.reveal();
    const deployment = model.azure.deployment;
    if (endpoint === 'responses') {
      // The v1 surface: no api-version to add; the deployment is the body's model.
      return { path: `${model.basePath}/openai/v1/responses${query}`, headers, model: deployment };
    }
    const params = new URLSearchParams(query.startsWith('?') ? query.slice(1) : query);
    // The configured version wins over one a client might send.
    params.set('api-version', model.azure.apiVersion);
    return {
      path: `${model.basePath}/openai/deployments/${encodeURIComponent(deployment)}/${endpoint}?${params.toString()}`,
      headers,
      // The deployment in the path picks the model; the body's model is informative only.
      model: model.upstreamModel,
    };
  }
  if (model.apiKey !== null) headers.authorization = `Bearer ${model.apiKey.reveal()}`;
  return { path: `${model.basePath}/${endpoint}${query}`, headers, model: model.upstreamModel };
}
