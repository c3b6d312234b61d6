export { DownstreamListener } from './server.js';
