// The JSON nesting bounds a config may set. They live here, with the rest of the config's
// data, because the schema states them; core/json.ts, which enforces them, imports them.

/** Default nesting bound: serde_json's recursion limit, ~10× what real tool schemas need (10-20). */
export const DEFAULT_MAX_JSON_DEPTH = 128;

/**
 * The highest bound a config may set, and the bound on JSON the gateway parses that no
 * setting covers (upstream answers, JSON texts inside a body). V8's JSON.stringify
 * overflows at ~4,000 levels from a shallow stack; this keeps a margin of four.
 */
export const MAX_JSON_DEPTH_LIMIT = 1024;
