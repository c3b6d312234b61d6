// The mcp folder's public surface: the backend kind (gateway/kinds.ts registers it) and
// the backend's status view (admin GET /mcp/servers).
export { mcpKind } from './kind.js';
export { McpBackend } from './backend.js';
export type { McpBackendSpec, McpServerSpec } from './spec.js';
