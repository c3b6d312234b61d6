export { DownstreamListener } from './server.js';
export { normalizeTarget, type NormalizedTarget } from './path.js';
export { findRoute, routeMatches, matchPathPrefix, hostOf, type RouteRequest } from './router.js';
