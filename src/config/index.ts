// config's public surface: loading, validation and compilation into the frozen runtime
// model, the data types, and what a backend kind builds its part from (kind.ts). The
// functions take the kinds and policy checks (ConfigExtensions) as a parameter;
// gateway/config.ts binds the registered ones.
export { loadConfigFile, loadConfigText, type LoadedConfig } from './load.js';
export { compileConfig, LIMIT_DEFAULTS, HTTP_BACKEND_DEFAULTS } from './compile.js';
export { ConfigError, formatIssue, type ConfigIssue } from './errors.js';
export { redactedConfig } from './redact.js';
export { Secret, REDACTED, scrubSecrets, secretForms } from './secret.js';
export {
  configSchema, DEFAULTS, Closed, StringEnum, durationSchema, sizeSchema, UpstreamQueue,
  type Config, type BackendConfig, type DurationValue, type ByteSizeValue,
} from './schema.js';
export { suggest } from './semantic.js';
export { byteSize, durationMs } from './units.js';
export { DEFAULT_MAX_JSON_DEPTH, MAX_JSON_DEPTH_LIMIT } from './json-depth.js';
export type * from './kind.js';
export type * from './model.js';

import { loadConfigFile } from './load.js';
import { compileConfig } from './compile.js';
import type { ConfigExtensions, Env } from './kind.js';
import type { RuntimeConfig } from './model.js';

/**
 * Load, validate and compile a config file; throws ConfigError with every issue found.
 * Pure apart from reading files: nothing is bound or started, so a bad file fails before
 * any port is opened.
 */
export function readRuntimeConfig(ext: ConfigExtensions, file: string, env: Env = process.env): RuntimeConfig {
  return compileConfig(loadConfigFile(ext, file, env));
}
