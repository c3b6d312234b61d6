// Shared helpers for config tests: real files in a temp folder, and a way to get the
// ConfigError a config produces (failing clearly when it loads or throws something else).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import { ConfigError, type ConfigIssue, type RuntimeConfig } from '../../src/config/index.js';
import { readRuntimeConfig } from '../../src/gateway/config.js';

export type Env = Record<string, string | undefined>;

/** A fresh temp folder, removed when the test file ends. */
export function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'agentedge-config-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Writes `yaml` to a file in a fresh temp folder and returns its path. */
export function writeConfig(yaml: string, name = 'agentedge.yaml'): string {
  const file = join(tempDir(), name);
  writeFileSync(file, yaml);
  return file;
}

/** Loads and compiles `yaml` from a real file. */
export function load(yaml: string, env: Env = {}): RuntimeConfig {
  return readRuntimeConfig(writeConfig(yaml), env);
}

/** The ConfigError that loading `yaml` throws. */
export function configError(yaml: string, env: Env = {}): ConfigError {
  return errorOf(() => load(yaml, env));
}

export function errorOf(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw new assert.AssertionError({ message: `expected a ConfigError, got ${String(err)}`, actual: err });
  }
  assert.fail('expected a ConfigError, but the config loaded');
}

/** The one issue at `path`; fails listing all issues when there is not exactly one. */
export function issueAt(err: ConfigError, path: string): ConfigIssue {
  const found = err.issues.filter((i) => i.path === path);
  assert.equal(found.length, 1, `expected one issue at ${path}, got:\n${err.message}`);
  return found[0]!;
}

/** A minimal valid config: one listener `edge` on port 0 with route `web` → backend `app`. */
export const MINIMAL = `gateway:
  admin: off
listeners:
  - name: edge
    port: 0
    routes:
      - name: web
        backend: app
backends:
  app:
    http: { url: "http://127.0.0.1:9" }
`;
