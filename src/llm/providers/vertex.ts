// Google Vertex AI: Gemini models (publisher google) and Claude models (publisher anthropic)
// at ${baseUrl}/v1/projects/{project}/locations/{location}/publishers/{publisher}/models/{model}:{method},
// authorised with an OAuth access token (google-auth.ts) as `Authorization: Bearer …`.
// The wire formats are the ones the gemini and anthropic providers already speak, so
// their translations are reused and only where the call goes and how it is authorised
// change:
// - Gemini: :generateContent, or :streamGenerateContent?alt=sse, with the same body.
// - Claude: :rawPredict, or :streamRawPredict, with the Messages API body minus `model`
//   and with `anthropic_version: vertex-2023-10-16` (the version goes in the body, not a
//   header); count_tokens is …/publishers/anthropic/models/count-tokens:rawPredict, whose
//   body keeps `model`.
import type { LlmModelSpec } from '../spec.js';
import { GatewayError } from '../../core/index.js';
import { anthropicProvider } from './anthropic.js';
import { geminiProvider, googleRetryDelayMs } from './gemini.js';
import { forgetGoogleToken, googleAuthHeaders } from './google-auth.js';
import type { AuthStep, ChatProvider, ChatTranslation, MessagesCallOptions, MessagesProvider, UpstreamCall } from './provider.js';

/** The Messages API version Claude on Vertex takes, in the body. */
export const VERTEX_ANTHROPIC_VERSION = 'vertex-2023-10-16';

/** Client headers that would carry the client's own Google or Anthropic credentials or settings. */
const DROP_GOOGLE = ['x-goog-api-key', 'x-goog-user-project', 'x-goog-api-client'];

function spec(model: LlmModelSpec): NonNullable<LlmModelSpec['vertex']> {
  // The config compiles `vertex` for every vertex model; its absence is a wiring bug.
  if (model.vertex === undefined) throw new GatewayError('AE_INTERNAL', { detail: `model ${model.name} has no vertex settings` });
  return model.vertex;
}

/** Path of a model method on Vertex; `model` is the model id, or a pseudo-model such as count-tokens. */
export function vertexPath(model: LlmModelSpec, method: string, modelId = model.upstreamModel): string {
  const v = spec(model);
  // Model ids are checked at load ([A-Za-z0-9._@-]); '@' (claude-…@20250929) stays as Vertex documents it.
  const id = encodeURIComponent(modelId).replace(/%40/g, '@');
  return `${model.basePath}/v1/projects/${encodeURIComponent(v.project)}/locations/${encodeURIComponent(v.location)}/publishers/${v.publisher}/models/${id}:${method}`;
}

/** Headers the anthropic translation or pass-through sets that Vertex must not get. */
function withoutAnthropicAuth(headers: Readonly<Record<string, string>>): Record<string, string> {
  const out = { ...headers };
  delete out['x-api-key'];
  delete out['anthropic-version'];
  return out;
}

/** A Messages API body as Claude on Vertex takes it: no model (it is in the path), the version in the body. */
function vertexClaudeBody(body: Record<string, unknown>, keepModel: string | null): string {
  const out: Record<string, unknown> = { ...body };
  if (keepModel === null) delete out.model;
  else out.model = keepModel;
  // A client that already speaks Vertex's dialect keeps its own version.
  if (typeof out.anthropic_version !== 'string') out.anthropic_version = VERTEX_ANTHROPIC_VERSION;
  return JSON.stringify(out);
}

/**
 * The access token header for a vertex model. A 401 from Vertex (the token was revoked, or
 * the service account's key rotated) drops the cached token, so the next call fetches a new one.
 */
export const vertexAuth: AuthStep = Object.assign(
  function vertexAuth(model: LlmModelSpec, signal?: AbortSignal): Promise<Record<string, string>> {
    return googleAuthHeaders(spec(model).credentials, signal);
  },
  { rejected: function vertexTokenRejected(model: LlmModelSpec): void { forgetGoogleToken(spec(model).credentials); } },
);

/** OpenAI chat → Vertex: the gemini or anthropic translation, re-addressed. */
export const vertexProvider: ChatProvider = {
  auth: vertexAuth,
  // Vertex's Gemini errors are Google API errors too (google.rpc.RetryInfo); Claude's carry none.
  retryAfterFromError: googleRetryDelayMs,
  chat(body, model, includeUsage): ChatTranslation {
    const stream = body.stream === true;
    if (spec(model).publisher === 'google') {
      const t = geminiProvider.chat(body, model, includeUsage);
      const headers = { ...t.call.headers };
      delete headers['x-goog-api-key'];
      const call: UpstreamCall = {
        ...t.call,
        path: vertexPath(model, stream ? 'streamGenerateContent?alt=sse' : 'generateContent'),
        headers,
        dropHeaders: [...new Set([...t.call.dropHeaders, ...DROP_GOOGLE])],
      };
      return { ...t, call };
    }
    const t = anthropicProvider.chat(body, model, includeUsage);
    const parsed = JSON.parse(t.call.body.toString()) as Record<string, unknown>;
    const call: UpstreamCall = {
      path: vertexPath(model, stream ? 'streamRawPredict' : 'rawPredict'),
      headers: withoutAnthropicAuth(t.call.headers),
      dropHeaders: [...new Set([...t.call.dropHeaders, 'anthropic-version', 'anthropic-beta', ...DROP_GOOGLE])],
      body: vertexClaudeBody(parsed, null),
    };
    return { ...t, call };
  },
};

/**
 * The Anthropic front → Claude on Vertex, passed through (the body keeps every field the
 * client sent). Gemini models on Vertex do not speak the Messages API: null, the front
 * translates for them.
 */
export const vertexMessages: MessagesProvider & { auth: typeof vertexAuth } = {
  auth: vertexAuth,
  messages(body: Record<string, unknown>, model: LlmModelSpec, opts: MessagesCallOptions): UpstreamCall | null {
    if (spec(model).publisher !== 'anthropic') return null;
    const path = opts.countTokens
      ? vertexPath(model, 'rawPredict', 'count-tokens')
      : vertexPath(model, opts.stream ? 'streamRawPredict' : 'rawPredict');
    return {
      path: path + vertexQuery(opts.query),
      headers: {},
      // The version travels in the body; betas (anthropic-beta) pass, as Vertex takes them.
      dropHeaders: ['anthropic-version', ...DROP_GOOGLE],
      body: vertexClaudeBody(body, opts.countTokens ? model.upstreamModel : null),
    };
  },
};

/** The client's query without the SDK's `beta=true` marker, which means nothing on Vertex. */
function vertexQuery(query: string): string {
  if (query === '' || query === '?') return '';
  const params = new URLSearchParams(query.slice(1));
  params.delete('beta');
  const rest = params.toString();
  return rest === '' ? '' : `?${rest}`;
}
