// Shared by the policy tests: a fake OpenAI provider whose usage is exactly what the
// gateway reserves for the call, so budget counts are exact whatever the interleaving.
import { startFakeOpenAI, type FakeOpenAI } from '../llm/support.js';

/** A fake OpenAI whose chat answers report `promptTokens` input and `completionTokens` output tokens. */
export async function exactUsageFake(promptTokens: number, completionTokens = 7): Promise<FakeOpenAI> {
  const fake = await startFakeOpenAI();
  fake.on('/v1/chat/completions', (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({
      id: 'c', object: 'chat.completion', created: 0, model: 'local',
      choices: [{ index: 0, message: { role: 'assistant', content: 'ok' }, finish_reason: 'stop' }],
      usage: { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens },
    }));
  });
  return fake;
}
