export { loadConfigFile, loadConfigText, type LoadedConfig } from './load.js';
export { compileConfig, LIMIT_DEFAULTS, HTTP_BACKEND_DEFAULTS, LLM_LIMIT_DEFAULTS } from './compile.js';
export { ConfigError, formatIssue, type ConfigIssue } from './errors.js';
export { redactedConfig } from './redact.js';
export { Secret, REDACTED, scrubSecrets, secretForms } from './secret.js';
export { ConfigSchema, DEFAULTS, type Config } from './schema.js';
export type * from './model.js';

import { loadConfigFile } from './load.js';
import { compileConfig } from './compile.js';
import type { RuntimeConfig } from './model.js';

/**
 * Load, validate and compile a config file; throws ConfigError with every issue found.
 * Pure apart from reading files: nothing is bound or started, so a bad file fails before
 * any port is opened.
 */
export function readRuntimeConfig(file: string, env: Readonly<Record<string, string | undefined>> = process.env): RuntimeConfig {
  return compileConfig(loadConfigFile(file, env));
}
