// Shared by the admin keys / usage tests and the CLI keys / usage tests: a gateway config
// with an llm route guarded by an apiKey policy that accepts stored keys (the default),
// and a small client for the admin API.
import OpenAI from 'openai';
import { llmConfig, type FakeOpenAI } from '../llm/support.js';

export const ADMIN_TOKEN = 'an-admin-token-long-enough-0001';

/**
 * One listener, route `llm` at /v1 with the `keys` policy (no config keys: only stored
 * ones). Models on the fake: `fast` and `local` (with a price in config). `admin` is
 * added to the admin listener's settings (e.g. `, token: ...`).
 */
export function keysConfig(fake: FakeOpenAI, admin = ''): string {
  return llmConfig(fake, `          price: { input: 1, output: 2 }
policies:
  keys:
    apiKey: { stored: true }
`)
    .replace('      - { name: llm, match: { path: /v1 }, backend: models }', '      - { name: llm, match: { path: /v1 }, backend: models, policies: [keys] }')
    .replace('  admin: { host: 127.0.0.1, port: 0 }', `  admin: { host: 127.0.0.1, port: 0${admin} }`);
}

export interface AdminReply { status: number; body: any; headers: Headers }

/** Calls the admin API with the given bearer token (none when null). */
export function adminClient(baseUrl: string, token: string | null) {
  return async (method: string, path: string, body?: unknown, extraHeaders: Record<string, string> = {}): Promise<AdminReply> => {
    const headers: Record<string, string> = { ...extraHeaders };
    if (token !== null) headers.authorization = `Bearer ${token}`;
    let payload: string | undefined;
    if (body !== undefined) {
      headers['content-type'] = 'application/json';
      payload = typeof body === 'string' ? body : JSON.stringify(body);
    }
    const r = await fetch(`${baseUrl}${path}`, { method, headers, ...(payload === undefined ? {} : { body: payload }) });
    const text = await r.text();
    return { status: r.status, body: text === '' ? null : JSON.parse(text), headers: r.headers };
  };
}

export function openai(gwUrl: string, key: string): OpenAI {
  return new OpenAI({ baseURL: `${gwUrl}/v1`, apiKey: key, maxRetries: 0, timeout: 10_000 });
}

export const hi = { messages: [{ role: 'user' as const, content: 'hi' }] };
