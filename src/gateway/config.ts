// config's entry points with this gateway's extensions bound: the registered backend kinds
// (kinds.ts) and policy/'s CEL checks. config/ imports neither (it is data every folder
// may import); the CLI, the gateway, scripts and tests load configs through here.
import {
  compileConfig, configSchema, loadConfigFile as loadFile, loadConfigText as loadText, readRuntimeConfig as readFile,
  type ConfigExtensions, type Env, type LoadedConfig, type RuntimeConfig,
} from '../config/index.js';
import { authorizeProblems, keyExpressionProblem } from '../policy/cel-check.js';
import { BACKEND_KINDS } from './kinds.js';

export const CONFIG_EXTENSIONS: ConfigExtensions = Object.freeze({
  backendKinds: BACKEND_KINDS,
  policyChecks: Object.freeze({ authorizeProblems, keyExpressionProblem }),
});

/** The JSON Schema of the config file (scripts/gen-schema.ts writes it to schema/). */
export const CONFIG_SCHEMA = configSchema(BACKEND_KINDS);

export { compileConfig };

/** Load, validate and compile a config file; throws ConfigError with every issue found. */
export function readRuntimeConfig(file: string, env: Env = process.env): RuntimeConfig {
  return readFile(CONFIG_EXTENSIONS, file, env);
}

export function loadConfigFile(file: string, env: Env = process.env): LoadedConfig {
  return loadFile(CONFIG_EXTENSIONS, file, env);
}

export function loadConfigText(text: string, file: string, env: Env = process.env): LoadedConfig {
  return loadText(CONFIG_EXTENSIONS, text, file, env);
}
