// The Responses front's translations, one file per job: the request (responses-request.ts),
// a whole answer (responses-answer.ts), a stream (responses-stream.ts).
export { responsesToChat } from './responses-request.js';
export { chatToResponse, type ResponseIds } from './responses-answer.js';
export { ChatToResponsesStream, responsesStreamError } from './responses-stream.js';
