// Providers that need translation from the OpenAI front; the others pass through (backend.ts).
import type { LlmProvider } from '../../config/index.js';
import { anthropicProvider } from './anthropic.js';
import { bedrockProvider } from './bedrock.js';
import { geminiProvider } from './gemini.js';
import type { ChatProvider } from './provider.js';

export type { ChatProvider, ChatTranslation, StreamTranslator, UpstreamCall } from './provider.js';

export const TRANSLATED_PROVIDERS: Partial<Record<LlmProvider, ChatProvider>> = {
  anthropic: anthropicProvider,
  bedrock: bedrockProvider,
  gemini: geminiProvider,
};
