// The Anthropic Messages API passed through for models of provider `anthropic`: the body
// keeps every field the client sent, with `model` set to the upstream name.
import type { LlmModelSpec } from '../spec.js';
import type { MessagesCallOptions, MessagesProvider, UpstreamCall } from './provider.js';

export const ANTHROPIC_API_VERSION = '2023-06-01';

export const anthropicMessages: MessagesProvider = {
  messages(body: Record<string, unknown>, model: LlmModelSpec, opts: MessagesCallOptions): UpstreamCall {
    const payload = JSON.stringify({ ...body, model: model.upstreamModel });
    const headers: Record<string, string> = {};
    if (model.apiKey !== null) headers['x-api-key'] = model.apiKey.reveal();
    if (opts.clientVersion === undefined) headers['anthropic-version'] = ANTHROPIC_API_VERSION;
    const path = `${model.basePath}/v1/messages${opts.countTokens ? '/count_tokens' : ''}${opts.query}`;
    return { path, headers, dropHeaders: [], body: payload };
  },
};
