// One event of an OpenAI chat completion stream, as the fronts that translate it (Anthropic
// messages, Responses) read it: its `data:` parsed, `[DONE]`, or the upstream's error event.
import { GatewayError, JsonRefusedError, parseJson, sseData, UNTRUSTED_JSON } from '../core/index.js';
import { isObject } from './openai-errors.js';

export type ChatChunkEvent =
  /** Nothing to translate: no data, or data that is not a JSON object. */
  | { readonly kind: 'skip' }
  | { readonly kind: 'done' }
  | { readonly kind: 'error'; readonly message: string }
  | { readonly kind: 'chunk'; readonly chunk: Record<string, unknown> };

const SKIP: ChatChunkEvent = { kind: 'skip' };
const DONE: ChatChunkEvent = { kind: 'done' };

/** Reads one whole SSE event (as SseEventReader yields it) of an OpenAI chat stream. */
export function readChatChunk(ev: string): ChatChunkEvent {
  const data = sseData(ev);
  if (data === '') return SKIP;
  if (data.trim() === '[DONE]') return DONE;
  let obj: unknown;
  try {
    obj = parseJson(data, UNTRUSTED_JSON);
  } catch (err) {
    // A malformed event is skipped as before; one nested too deep is refused, not half read.
    if (err instanceof JsonRefusedError && err.problem === 'depth') throw new GatewayError('AE_UPSTREAM_PROTOCOL', { detail: `chat stream event: ${err.message}` });
    return SKIP;
  }
  if (!isObject(obj)) return SKIP;
  if (obj.error !== undefined) {
    return { kind: 'error', message: isObject(obj.error) && typeof obj.error.message === 'string' ? obj.error.message : 'The upstream stream failed.' };
  }
  return { kind: 'chunk', chunk: obj };
}
