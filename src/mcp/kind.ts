// The mcp backend kind: `backends.<name>.mcp` in the config. Its schema fragment, checks
// and compiler (config-schema.ts, config-compile.ts) and the handler factory;
// gateway/kinds.ts registers it.
import type { BackendKind } from '../core/index.js';
import { McpBackend } from './backend.js';
import { compileMcpBackend, mcpBackendIssues } from './config-compile.js';
import { McpBackend as McpBackendSchema, type McpBackendConfig } from './config-schema.js';
import type { McpBackendSpec } from './spec.js';

export const mcpKind: BackendKind<McpBackendConfig, McpBackendSpec> = {
  key: 'mcp',
  schema: McpBackendSchema,
  compile: compileMcpBackend,
  semanticIssues: mcpBackendIssues,
  create: (spec, deps, previous) => new McpBackend(spec, deps, previous instanceof McpBackend ? previous : null),
};

// Registers the spec type under the kind's key: a spec narrows on `kind === 'mcp'`.
declare module '../config/model.js' {
  interface BackendSpecs { mcp: McpBackendSpec }
}
