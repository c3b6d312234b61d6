// Checks of a valid config that find something that works but is probably not meant:
// said when the config is loaded (serve, reload, validate) instead of at the first call.
// Each backend kind answers for its own spec (BackendKind.warnings), e.g. the llm kind
// for a budget that cannot charge a model with no price.
import type { PolicySpec, RuntimeConfig } from '../config/index.js';
import { kindOf } from './kinds.js';

export function configWarnings(config: RuntimeConfig): string[] {
  const out: string[] = [];
  for (const listener of config.listeners) {
    for (const route of listener.routes) {
      const backend = config.backends.get(route.backend);
      if (backend === undefined) continue;
      const kind = kindOf(backend);
      if (kind.warnings === undefined) continue;
      const policies = route.policies.map((p) => config.policies.get(p)).filter((p): p is PolicySpec => p !== undefined);
      out.push(...kind.warnings(backend, { route, policies }));
    }
  }
  return out;
}
