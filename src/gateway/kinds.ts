// The backend kinds this gateway serves. This list is the only place a kind is registered:
// adding one (mcp, a2a) is its folder plus a line here. Its order is the order the schema
// and docs list the kinds in.
import type { BackendKind } from '../core/index.js';
import { httpKind } from '../http/kind.js';
import { llmKind } from '../llm/index.js';
import { mcpKind } from '../mcp/index.js';

export const BACKEND_KINDS: readonly BackendKind[] = [httpKind, llmKind, mcpKind];

/** The kind a compiled spec belongs to. */
export function kindOf(spec: { readonly kind: string }): BackendKind {
  const kind = BACKEND_KINDS.find((k) => k.key === spec.kind);
  // compile.ts only makes specs of registered kinds.
  if (kind === undefined) throw new Error(`no backend kind "${spec.kind}" is registered`);
  return kind;
}
