// A budget on a route whose llm backend has a model with no known price cannot charge that
// model's calls: the gateway says so when it loads the config (serve, reload) and
// `agentedge validate` prints it, instead of only at the first uncharged call.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startGateway } from '../helpers/gateway.js';
import { configFile, runCli } from '../cli/run-cli.js';

function config(localPrice: string): string {
  return `gateway: { admin: off, state: { sqlite: ":memory:" } }
listeners:
  - name: edge
    port: 0
    routes:
      - { name: llm, match: { path: /v1 }, backend: models, policies: [spend] }
      - { name: free, match: { path: /free }, backend: models }
backends:
  models:
    llm:
      models:
        - { name: fast, provider: openai, model: gpt-4o-mini, apiKey: sk-x, baseUrl: "http://127.0.0.1:9/v1" }
        - { name: local, provider: openai-compatible, baseUrl: "http://127.0.0.1:9/v1"${localPrice} }
policies:
  spend:
    budget: { usd: 5, period: day }
`;
}

const WARNING = 'route llm: budget spend cannot charge model local (no price known)';

test('validate warns about a budget that cannot charge a model with no price, and exits 0', async () => {
  const r = await runCli(['validate', configFile(config(''))]);
  assert.equal(r.code, 0);
  assert.match(r.stdout, /: valid\n$/);
  assert.ok(r.stderr.includes(`warning: ${WARNING}`), r.stderr);
  assert.ok(!r.stderr.includes('fast'), 'a model in the price table is not named');
  assert.ok(!r.stderr.includes('route free'), 'a route without a budget is not named');

  const priced = await runCli(['validate', configFile(config(', price: { input: 0.1, output: 0.2 }'))]);
  assert.equal(priced.code, 0);
  assert.equal(priced.stderr, '');
});

test('the gateway logs the same warning when it starts and after a reload', async (t) => {
  const gw = await startGateway(config(''));
  t.after(() => gw.close());
  assert.equal(gw.logs.filter((l) => l.msg === WARNING + ': give it a price, or its calls pass the budget uncharged').length, 1, gw.logText());
  gw.writeConfig(config(', price: { input: 0.1, output: 0.2 }'));
  assert.equal((await gw.gw.reload()).ok, true);
  gw.writeConfig(config('') + '# edited\n');
  assert.equal((await gw.gw.reload()).ok, true);
  assert.equal(gw.logs.filter((l) => typeof l.msg === 'string' && l.msg.startsWith(WARNING)).length, 2);
});
