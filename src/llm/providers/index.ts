// The provider registry. OpenAI-API providers (openai, openai-compatible, azure) pass
// through (backend.ts, openai.ts); the others are translated from the OpenAI chat format
// (TRANSLATED_PROVIDERS). Providers that speak the Anthropic Messages API natively are in
// MESSAGES_PROVIDERS, which the Anthropic front passes through to.
import type { LlmProvider } from '../spec.js';
import { anthropicProvider } from './anthropic.js';
import { anthropicMessages } from './anthropic-messages.js';
import { bedrockProvider } from './bedrock.js';
import { geminiProvider } from './gemini.js';
import type { ChatProvider, MessagesProvider } from './provider.js';
import { vertexMessages, vertexProvider } from './vertex.js';

export type { AuthStep, ChatProvider, ChatTranslation, MessagesProvider, StreamTranslator, UpstreamCall } from './provider.js';
export { openAICall, speaksOpenAI, type OpenAIEndpoint } from './openai.js';
export { ANTHROPIC_API_VERSION } from './anthropic-messages.js';

export const TRANSLATED_PROVIDERS: Partial<Record<LlmProvider, ChatProvider>> = {
  anthropic: anthropicProvider,
  bedrock: bedrockProvider,
  gemini: geminiProvider,
  vertex: vertexProvider,
};

export const MESSAGES_PROVIDERS: Partial<Record<LlmProvider, MessagesProvider>> = {
  anthropic: anthropicMessages,
  vertex: vertexMessages,
};
