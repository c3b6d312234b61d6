// What an llm upstream says is cleaned of secrets before a client sees it (RELIABILITY 27).
// Two cases, with different costs:
// - Text the gateway rebuilds from an upstream's error answer (a message, a type, an error
//   event inside a translated stream): every configured secret of the serving config, and
//   what the call sent upstream, is replaced by "[redacted]" in every form secretForms knows
//   (raw, URL-, JSON-, base64-encoded, base64 inside a longer value), then the text is cut
//   to its length limit (cut after, so no prefix of a secret survives the cut). Error paths
//   are rare and their text is short: a plain search per form is fine.
// - A successful answer (the body relayed or rebuilt): only the secrets the call sent
//   upstream can be echoed there (the model's apiKey, the values of its `headers`, a Bedrock
//   session token, a Vertex access token), and they are masked with as many `*` by a
//   compiled SecretMask, one automaton step per byte (core/secret-mask.ts).
//
// The configured secrets reach a model through its backend (`bindConfiguredSecrets`, a
// live view of the serving config, so a reload that reuses the backend still sees new
// secrets); a model no backend bound (unit tests of a translator) gets its own secrets only.
import type { LlmModelSpec } from './spec.js';
import { REDACTED, scrubSecrets } from '../config/index.js';
import { SecretMask } from '../core/index.js';
import { googleTokensInUse } from './providers/google-auth.js';

const configured = new WeakMap<LlmModelSpec, () => readonly string[]>();

/** Makes the serving config's secrets (read at each use) part of what upstream text about these models is scrubbed of. */
export function bindConfiguredSecrets(models: readonly LlmModelSpec[], secrets: () => readonly string[]): void {
  for (const m of models) configured.set(m, secrets);
}

/** The secrets a call to `model` sends upstream: its key, its configured header values, a session or access token. */
export function sentSecrets(model: LlmModelSpec): string[] {
  const out: string[] = [];
  const key = model.apiKey?.reveal();
  if (key !== undefined) out.push(key);
  for (const name in model.headers) out.push(model.headers[name]!);
  const session = model.aws?.sessionToken?.reveal();
  if (session !== undefined) out.push(session);
  if (model.vertex !== undefined) out.push(...googleTokensInUse(model.vertex.credentials));
  return out;
}

/** Something shaped like an OpenAI-style key, whoever's it is. */
const KEY_SHAPED = /\bsk-[A-Za-z0-9_*-]{6,}/g;

/**
 * Upstream text (an error message, type or code) as a client may see it: configured and
 * sent secrets, the upstream's address and anything shaped like an API key replaced, then
 * cut to `max` characters.
 */
export function scrubUpstreamText(text: string, model: LlmModelSpec, max = Infinity): string {
  const secrets = [...(configured.get(model)?.() ?? []), ...sentSecrets(model), model.origin, model.host];
  const out = scrubSecrets(text, secrets).replace(KEY_SHAPED, REDACTED);
  return out.length > max ? out.slice(0, max) : out;
}

interface CachedMask { readonly tokens: string; readonly mask: SecretMask | null }
const masks = new WeakMap<LlmModelSpec, CachedMask>();

/**
 * The mask of what a call to `model` sent upstream, for its successful answer; null when
 * there is nothing to mask. Compiled once per model (and again when its access token changes).
 */
export function answerMask(model: LlmModelSpec): SecretMask | null {
  const tokens = model.vertex === undefined ? '' : googleTokensInUse(model.vertex.credentials).join('\n');
  const cached = masks.get(model);
  if (cached !== undefined && cached.tokens === tokens) return cached.mask;
  const mask = SecretMask.of(sentSecrets(model));
  masks.set(model, { tokens, mask });
  return mask;
}
