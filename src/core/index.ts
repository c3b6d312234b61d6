export { RequestContext, type Identity } from './context.js';
export { ERRORS, GatewayError, isGatewayError, toGatewayError, type ErrorCode, type ErrorSpec } from './errors.js';
export { renderJsonError, writeError, rawHttpError, type ErrorRenderer, type RenderedError } from './render.js';
export { PHASES, CONTINUE, orderFilters, reject, runFilters, type Decision, type Filter, type FilterPhase, type PhaseSpec } from './lifecycle.js';
export { corsFilter } from './cors.js';
export { HttpBackend, type ProxyObserver } from './http-proxy.js';
export { handleRequest, handleUpgrade, failInFlight, type BackendHandler, type BodyLimits, type ListenerRuntime, type PipelineHooks, type RouteRuntime } from './pipeline.js';
export { upstreamRequestHeaders, downstreamResponseHeaders } from './headers.js';
export { writeSseError } from './sse.js';
