// Checks the schema cannot express: names that must be unique, references that must
// resolve, ports that must not collide. Each issue names the path it is about.
import type { Config } from './schema.js';
import { nearest } from './errors.js';

export interface SemanticIssue { path: (string | number)[]; message: string }

export function semanticIssues(config: Config): SemanticIssue[] {
  const issues: SemanticIssue[] = [];
  const backends = new Set(Object.keys(config.backends ?? {}));
  const policies = new Set(Object.keys(config.policies ?? {}));
  const listenerNames = new Map<string, number>();
  const ports = new Map<number, number>();

  const checkPolicies = (refs: readonly string[] | undefined, path: (string | number)[]) => {
    refs?.forEach((ref, i) => {
      if (!policies.has(ref)) issues.push({ path: [...path, i], message: `unknown policy "${ref}"${suggest(ref, policies, 'policies')}` });
    });
  };

  config.listeners.forEach((l, li) => {
    const prev = listenerNames.get(l.name);
    if (prev !== undefined) issues.push({ path: ['listeners', li, 'name'], message: `duplicate listener name "${l.name}" (also listeners[${prev}])` });
    else listenerNames.set(l.name, li);
    if (l.port !== 0) {
      const other = ports.get(l.port);
      if (other !== undefined) issues.push({ path: ['listeners', li, 'port'], message: `port ${l.port} is already used by listeners[${other}]` });
      else ports.set(l.port, li);
    }
    checkPolicies(l.policies, ['listeners', li, 'policies']);
    const routeNames = new Map<string, number>();
    l.routes.forEach((r, ri) => {
      const base = ['listeners', li, 'routes', ri];
      const dup = routeNames.get(r.name);
      if (dup !== undefined) issues.push({ path: [...base, 'name'], message: `duplicate route name "${r.name}" in listener "${l.name}" (also routes[${dup}])` });
      else routeNames.set(r.name, ri);
      if (!backends.has(r.backend)) issues.push({ path: [...base, 'backend'], message: `unknown backend "${r.backend}"${suggest(r.backend, backends, 'backends')}` });
      checkPolicies(r.policies, [...base, 'policies']);
    });
  });

  for (const [name, b] of Object.entries(config.backends ?? {})) {
    const seen = new Map<string, number>();
    b.llm?.models.forEach((m, i) => {
      const path = ['backends', name, 'llm', 'models', i];
      const dup = seen.get(m.name);
      if (dup !== undefined) issues.push({ path: [...path, 'name'], message: `duplicate model name "${m.name}" (also models[${dup}])` });
      else seen.set(m.name, i);
      if (m.provider === 'bedrock' && m.apiKey !== undefined) issues.push({ path: [...path, 'apiKey'], message: 'a bedrock model does not use apiKey: requests are signed with AWS credentials (aws: { accessKeyId, secretAccessKey } or AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY in the environment)' });
      if (m.provider !== 'bedrock' && m.region !== undefined) issues.push({ path: [...path, 'region'], message: `region is only for bedrock models, not ${m.provider}` });
      if (m.provider !== 'bedrock' && m.aws !== undefined) issues.push({ path: [...path, 'aws'], message: `aws credentials are only for bedrock models, not ${m.provider}` });
      if (m.provider === 'openai-compatible' && m.baseUrl === undefined) issues.push({ path, message: 'an openai-compatible model needs a baseUrl (e.g. http://localhost:11434/v1)' });
      if ((m.provider === 'openai' || m.provider === 'anthropic') && m.apiKey === undefined) issues.push({ path, message: `an ${m.provider} model needs an apiKey (best given from the environment)` });
      if (m.provider === 'gemini' && m.apiKey === undefined) issues.push({ path, message: 'a gemini model needs an apiKey (a Google AI Studio key, sent as x-goog-api-key; best given from the environment)' });
      if (m.provider === 'gemini' && !/^(models\/)?[A-Za-z0-9][A-Za-z0-9._-]*$/.test(m.model ?? m.name)) {
        issues.push({ path: [...path, m.model === undefined ? 'name' : 'model'], message: `"${m.model ?? m.name}" is not a gemini model id (e.g. gemini-2.0-flash); set "model" to the upstream id` });
      }
      if (m.provider === 'gemini' && m.baseUrl !== undefined && /\/v1(beta|alpha)?\/?$/.test(m.baseUrl)) {
        issues.push({ path: [...path, 'baseUrl'], message: 'a gemini baseUrl is the API root without the version (e.g. https://generativelanguage.googleapis.com); /v1beta/models/… is added' });
      }
    });
  }

  for (const [name, p] of Object.entries(config.policies ?? {})) {
    // Echoing any origin with credentials allowed would let every site act as the user.
    if (p.cors?.allowCredentials && p.cors.allowOrigins.includes('*')) {
      issues.push({ path: ['policies', name, 'cors', 'allowCredentials'], message: 'allowCredentials cannot be combined with allowOrigins "*"; list the origins' });
    }
  }

  const admin = config.gateway?.admin;
  if (admin !== undefined && admin !== 'off') {
    const port = admin.port ?? 15000;
    const clash = port !== 0 ? ports.get(port) : undefined;
    if (clash !== undefined) issues.push({ path: ['gateway', 'admin', 'port'], message: `port ${port} is already used by listeners[${clash}]` });
  } else if (admin === undefined && ports.has(15000)) {
    issues.push({ path: ['listeners', ports.get(15000)!, 'port'], message: 'port 15000 is the admin port by default; move the admin (gateway.admin.port) or this listener' });
  }
  return issues;
}

function suggest(word: string, names: Set<string>, kind: 'backends' | 'policies'): string {
  if (names.size === 0) return `; no ${kind} are defined`;
  const hint = nearest(word, names);
  return hint ? `; did you mean "${hint}"?` : `; defined: ${[...names].join(', ')}`;
}
