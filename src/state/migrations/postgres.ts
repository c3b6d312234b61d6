// The Postgres schema (keys, budget spend, usage ledger), as numbered steps. A step never
// changes once released: a new need is a new step. Tables go in the connection's current
// schema (search_path). Steps run in one transaction holding an advisory lock, so replicas
// starting at once apply each step exactly once; Postgres DDL is transactional, so a failed
// step leaves nothing behind.
import type pg from 'pg';
import type { Migration } from './sqlite.js';

export const POSTGRES_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'initial',
    sql: `
      CREATE TABLE api_keys (
        id text PRIMARY KEY,
        name text NOT NULL,
        prefix text NOT NULL,
        hash text NOT NULL UNIQUE,
        metadata jsonb NOT NULL,
        created_at bigint NOT NULL,
        revoked_at bigint
      );
      -- A name is taken only while its key is live: a revoked name can be reused.
      CREATE UNIQUE INDEX api_keys_live_name ON api_keys (name) WHERE revoked_at IS NULL;

      -- The settled spend per budget bucket: the truth Redis caches. version counts the
      -- settles, so Redis keeps the newest total whatever order the answers arrive in.
      CREATE TABLE budget_spend (
        bucket text PRIMARY KEY,
        usd_micros bigint NOT NULL,
        version bigint NOT NULL
      );

      CREATE TABLE usage (
        id bigserial PRIMARY KEY,
        time bigint NOT NULL,
        request_id text NOT NULL,
        identity_kind text NOT NULL,
        identity text NOT NULL,
        metadata jsonb NOT NULL,
        route text NOT NULL,
        model text NOT NULL,
        target text NOT NULL,
        provider text NOT NULL,
        input_tokens bigint,
        output_tokens bigint,
        cost_usd double precision,
        status integer NOT NULL,
        latency_ms double precision NOT NULL,
        estimated boolean NOT NULL
      );
      CREATE INDEX usage_time ON usage (time);
      CREATE INDEX usage_identity_time ON usage (identity, time);
    `,
  },
  {
    version: 2,
    name: 'usage of protocol calls',
    // Calls of other protocols than llm (MCP tool calls…): their method and outcome. NULL for LLM calls.
    sql: `
      ALTER TABLE usage ADD COLUMN method text;
      ALTER TABLE usage ADD COLUMN outcome text;
    `,
  },
  {
    version: 3,
    name: 'definition pins',
    // Tool pinning (src/mcp/pinning.ts): the fingerprint each backend pinned per server and tool.
    sql: `
      CREATE TABLE definition_pins (
        backend text NOT NULL,
        source text NOT NULL,
        name text NOT NULL,
        fingerprint text NOT NULL,
        definition text NOT NULL,
        pinned_at bigint NOT NULL,
        PRIMARY KEY (backend, source, name)
      );
    `,
  },
];

/** Applies the steps this database does not have yet; a no-op when it is up to date. */
export async function migratePostgres(pool: pg.Pool, migrations: readonly Migration[] = POSTGRES_MIGRATIONS): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    // One lock per schema: two deployments in two schemas of one database do not wait on each other.
    await client.query("SELECT pg_advisory_xact_lock(hashtext('agentedge:migrations:' || current_schema()))");
    await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`);
    const { rows } = await client.query<{ version: number }>('SELECT version FROM schema_migrations');
    const done = new Set(rows.map((r) => r.version));
    for (const m of migrations) {
      if (done.has(m.version)) continue;
      await client.query(m.sql);
      await client.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [m.version, m.name]);
    }
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  } finally {
    client.release();
  }
}
