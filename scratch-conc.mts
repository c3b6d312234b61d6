async function main() {
const { startGateway } = await import('/work/main/test/helpers/gateway.ts');
const { llmConfig, startFakeOpenAI } = await import('/work/main/test/llm/support.ts');
const { request, Agent } = await import('/work/main/node_modules/undici/index.js');
const KEY = 'sk-bench-client-key-000000';
const fake = await startFakeOpenAI();
const variants: Record<string, string> = { none: 'keys', rate: 'keys, rl', tokens: 'keys, tok', budget: 'keys, money' };
const state = `  state: { redis: "redis://127.0.0.1:6379", postgres: "postgres://postgres@127.0.0.1:5432/test", prefix: "x${Date.now()}:" }\n`;
for (const [name, pol] of Object.entries(variants)) {
  const yaml = llmConfig(fake, `          price: { input: 1, output: 2 }
policies:
  keys:
    apiKey:
      keys: [{ name: b, key: ${KEY}, metadata: { team: a } }]
  rl:
    rateLimit: { requests: 100000000/minute }
  tok:
    rateLimit: { tokens: 100000000/minute }
  money:
    budget: { key: apiKey.metadata.team, usd: 100000, period: month }
`).replace('      - { name: llm, match: { path: /v1 }, backend: models }', `      - { name: llm, match: { path: /v1 }, backend: models, policies: [${pol}] }`)
    .replace('  admin: { host: 127.0.0.1, port: 0 }', `  admin: { host: 127.0.0.1, port: 0 }\n${state}`);
  const gw = await startGateway(yaml);
  const agent = new Agent({ connections: 50 });
  let n = 0;
  const end = Date.now() + 3000;
  const lat: number[] = [];
  await Promise.all(Array.from({ length: 50 }, async () => {
    while (Date.now() < end) {
      const t0 = performance.now();
      const r = await request(`${gw.url()}/v1/chat/completions`, { dispatcher: agent, method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${KEY}` }, body: JSON.stringify({ model: 'local', max_tokens: 7, messages: [{ role: 'user', content: 'hi' }] }) });
      await r.body.text();
      if (r.statusCode !== 200) throw new Error(String(r.statusCode));
      lat.push(performance.now() - t0); n++;
    }
  }));
  lat.sort((a, b) => a - b);
  console.log(name.padEnd(8), 'rps', (n / 3).toFixed(0), 'p50', lat[lat.length >> 1]!.toFixed(1));
  await agent.close();
  await gw.close();
}
await fake.close();
}
main();
