export { DownstreamListener, type ListenerEvents } from './server.js';
