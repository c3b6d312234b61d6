// The gateway config of the MCP bench scenarios (run.mjs, mcp-serial.mjs): one listener with
// a route /mcp to an mcp backend whose one Streamable HTTP server, `b`, is `upstream`; access
// log off, the admin listener on for /readyz, no file watching.
export function mcpGatewayConfig({ port, adminPort, upstream }) {
  return `# Written by the agentedge bench for one run.
gateway:
  admin:
    host: 127.0.0.1
    port: ${adminPort}
  accessLog:
    format: off
  reload:
    watch: false
listeners:
  - name: bench
    host: 127.0.0.1
    port: ${port}
    routes:
      - name: tools
        match: { path: /mcp }
        backend: tools
backends:
  tools:
    mcp:
      servers:
        - name: b
          url: ${upstream}
`;
}
