export { LlmBackend } from './backend.js';
export { renderOpenAIError } from './openai-errors.js';
export { llmKind } from './kind.js';
