// YAML builders for the lifecycle tests: one listener on port 0 with the given routes,
// and http backends by name. Kept tiny so each test shows the routes it changes.
export interface Routes { [name: string]: { path: string; backend?: string } }

export function routesYaml(routes: Routes, indent = '      '): string {
  return Object.entries(routes).map(([name, r]) => `${indent}- { name: ${name}, match: { path: ${r.path} }, backend: ${r.backend ?? 'up'} }\n`).join('');
}

export function gatewayYaml(o: { routes: Routes; backends: Record<string, string>; gateway?: string; port?: number }): string {
  return `gateway:
  admin: { host: 127.0.0.1, port: 0 }
${o.gateway ?? ''}
listeners:
  - name: edge
    port: ${o.port ?? 0}
    routes:
${routesYaml(o.routes)}backends:
${Object.entries(o.backends).map(([name, url]) => `  ${name}:\n    http: { url: "${url}" }\n`).join('')}`;
}
