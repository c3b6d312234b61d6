// The SQLite schema, as numbered steps. A step never changes once released: a new need is a
// new step. They run at open inside BEGIN IMMEDIATE, which takes the write lock before
// reading schema_migrations, so two processes opening one file at once apply each step once.
import type BetterSqlite3 from 'better-sqlite3';

export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

export const SQLITE_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'initial',
    sql: `
      CREATE TABLE api_keys (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        prefix TEXT NOT NULL,
        hash TEXT NOT NULL UNIQUE,
        metadata TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        revoked_at INTEGER
      );
      -- A name is taken only while its key is live: a revoked name can be reused.
      CREATE UNIQUE INDEX api_keys_live_name ON api_keys (name) WHERE revoked_at IS NULL;

      -- Rate-limit windows and live reservations are kept in memory (sqlite.ts): only
      -- the settled spend must outlive the process.
      CREATE TABLE budget_spend (
        bucket TEXT PRIMARY KEY,
        usd_micros INTEGER NOT NULL
      ) WITHOUT ROWID;

      CREATE TABLE usage (
        id INTEGER PRIMARY KEY,
        time INTEGER NOT NULL,
        request_id TEXT NOT NULL,
        identity_kind TEXT NOT NULL,
        identity TEXT NOT NULL,
        metadata TEXT NOT NULL,
        route TEXT NOT NULL,
        model TEXT NOT NULL,
        target TEXT NOT NULL,
        provider TEXT NOT NULL,
        input_tokens INTEGER,
        output_tokens INTEGER,
        cost_usd REAL,
        status INTEGER NOT NULL,
        latency_ms REAL NOT NULL,
        estimated INTEGER NOT NULL
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
      ALTER TABLE usage ADD COLUMN method TEXT;
      ALTER TABLE usage ADD COLUMN outcome TEXT;
    `,
  },
  {
    version: 3,
    name: 'definition pins',
    // Tool pinning (src/mcp/pinning.ts): the fingerprint each backend pinned per server and tool.
    sql: `
      CREATE TABLE definition_pins (
        backend TEXT NOT NULL,
        source TEXT NOT NULL,
        name TEXT NOT NULL,
        fingerprint TEXT NOT NULL,
        definition TEXT NOT NULL,
        pinned_at INTEGER NOT NULL,
        PRIMARY KEY (backend, source, name)
      ) WITHOUT ROWID;
    `,
  },
];

/** Applies the steps this file does not have yet; a no-op when it is up to date. */
export function migrateSqlite(db: BetterSqlite3.Database, migrations: readonly Migration[] = SQLITE_MIGRATIONS): void {
  const apply = db.transaction(() => {
    db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)`);
    const done = new Set(db.prepare('SELECT version FROM schema_migrations').pluck().all() as number[]);
    const record = db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)');
    for (const m of migrations) {
      if (done.has(m.version)) continue;
      db.exec(m.sql);
      record.run(m.version, m.name, Date.now());
    }
  });
  apply.immediate();
}
