export { LlmBackend } from './backend.js';
export { renderOpenAIError } from './openai-errors.js';
