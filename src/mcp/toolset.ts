// `toolset: search`: a lean tool list. Instead of every federated definition (hundreds, each
// with its schema, all in the model's prompt), the client sees two tools of the gateway's
// own: `search_tools` (find tools by words; answers the matching definitions) and
// `call_tool` (call one by the name the search gave). The tool actually called goes through
// the same path as a direct call: include / exclude, the call gate, pinning.
import { isObject, RPC, RpcError } from './jsonrpc.js';

export const SEARCH_TOOL = 'search_tools';
export const CALL_TOOL = 'call_tool';

/** Most definitions one search answers. */
const MAX_RESULTS = 50;
const DEFAULT_RESULTS = 10;

/** The two tools a `toolset: search` backend lists. */
export const SEARCH_TOOLSET: readonly Record<string, unknown>[] = Object.freeze([
  {
    name: SEARCH_TOOL,
    title: 'Search tools',
    description: 'Finds the tools available here that match some words (what you want to do, a service, an object). Answers their names, descriptions and input schemas, best match first. Call one with call_tool.',
    inputSchema: {
      type: 'object',
      properties: {
        query: { type: 'string', description: 'Words describing the tool you need, e.g. "create github issue".' },
        limit: { type: 'integer', minimum: 1, maximum: MAX_RESULTS, description: `Most tools to return (default ${DEFAULT_RESULTS}).` },
      },
      required: ['query'],
    },
    annotations: { readOnlyHint: true },
  },
  {
    name: CALL_TOOL,
    title: 'Call a tool',
    description: 'Calls a tool found with search_tools, by its exact name, with arguments that follow its input schema.',
    inputSchema: {
      type: 'object',
      properties: {
        name: { type: 'string', description: 'The tool\'s name as search_tools gave it.' },
        arguments: { type: 'object', description: 'The tool\'s arguments.' },
      },
      required: ['name'],
    },
  },
]);

/** The words of a text: lower case, split on anything not a letter or digit, camelCase split. */
function words(text: string): string[] {
  return text.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase().split(/[^\p{L}\p{N}]+/u).filter((w) => w.length > 0);
}

/**
 * The tools that match `query`, best first: a word of the query found in the tool's name
 * counts three, in its title or description one (a prefix of a word counts half).
 */
export function searchTools(tools: readonly Record<string, unknown>[], args: Record<string, unknown>): Record<string, unknown> {
  if (typeof args.query !== 'string' || args.query.trim() === '') throw new RpcError(RPC.INVALID_PARAMS, 'search_tools needs a query (words describing the tool)');
  const limit = typeof args.limit === 'number' && Number.isInteger(args.limit) ? Math.min(Math.max(args.limit, 1), MAX_RESULTS) : DEFAULT_RESULTS;
  const query = [...new Set(words(args.query))];
  const scored: { tool: Record<string, unknown>; score: number }[] = [];
  for (const tool of tools) {
    const name = new Set(words(typeof tool.name === 'string' ? tool.name : ''));
    const text = new Set(words(`${typeof tool.title === 'string' ? tool.title : ''} ${typeof tool.description === 'string' ? tool.description : ''}`));
    let score = 0;
    for (const q of query) {
      if (name.has(q)) score += 3;
      else if (text.has(q)) score += 1;
      else if ([...name, ...text].some((w) => w.startsWith(q) || q.startsWith(w))) score += 0.5;
    }
    if (score > 0) scored.push({ tool, score });
  }
  scored.sort((a, b) => b.score - a.score);
  const found = scored.slice(0, limit).map(({ tool }) => ({
    name: tool.name,
    ...(typeof tool.description === 'string' && { description: tool.description }),
    inputSchema: tool.inputSchema,
  }));
  return {
    content: [{ type: 'text', text: found.length === 0 ? `No tool matches "${args.query}".` : JSON.stringify(found) }],
    structuredContent: { tools: found },
  };
}

/** The name and arguments of the tool `call_tool` asks for. */
export function innerCall(args: Record<string, unknown>): { name: string; arguments: Record<string, unknown> } {
  if (typeof args.name !== 'string' || args.name === '') throw new RpcError(RPC.INVALID_PARAMS, 'call_tool needs the name of a tool (as search_tools gave it)');
  return { name: args.name, arguments: isObject(args.arguments) ? args.arguments : {} };
}
