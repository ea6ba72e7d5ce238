/**
 * One step of a Durable Object's SQLite schema. Versions start at 1 and go up by one; a
 * migration that has run on any object is never edited again: a change is a new one.
 * `up` is SQL (several statements allowed) or a function for a change that needs code.
 */
export type Migration = {
  version: number;
  description: string;
  up: string | ((sql: SqlStorage) => void);
};

/** A Durable Object class's schema: its migrations in order. */
export type DurableObjectSchema = {
  /** The class it belongs to, for errors and STORAGE.md. */
  name: string;
  migrations: readonly Migration[];
};

/** Where each object records the migrations it has run: one row per version. */
export const SCHEMA_MIGRATIONS_TABLE = 'schema_migrations';

/** The version a schema reaches once every migration has run. */
export function latestVersion(schema: DurableObjectSchema): number {
  return schema.migrations.length;
}

/**
 * Brings an object's storage to the schema's latest version: reads the version it has
 * reached and runs the pending migrations in order, recording each, all in one
 * `transactionSync`, so an object never holds half a migration. Called first thing in
 * the constructor; once up to date it costs one read and writes nothing.
 */
export function migrate(storage: DurableObjectStorage, schema: DurableObjectSchema): { from: number; to: number } {
  checkOrder(schema);
  return storage.transactionSync(() => {
    const sql = storage.sql;
    sql.exec(`CREATE TABLE IF NOT EXISTS ${SCHEMA_MIGRATIONS_TABLE} (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)`);
    const from = sql.exec<{ v: number | null }>(`SELECT MAX(version) AS v FROM ${SCHEMA_MIGRATIONS_TABLE}`).one().v ?? 0;
    if (from > latestVersion(schema)) {
      // Code older than the data (a rollback): its queries may not fit the tables.
      throw new Error(`${schema.name}: storage is at schema version ${from}, this code knows up to ${latestVersion(schema)}`);
    }
    for (const migration of schema.migrations.slice(from)) {
      if (typeof migration.up === 'string') sql.exec(migration.up);
      else migration.up(sql);
      sql.exec(`INSERT INTO ${SCHEMA_MIGRATIONS_TABLE} (version, applied_at) VALUES (?, ?)`, migration.version, Date.now());
    }
    return { from, to: latestVersion(schema) };
  });
}

function checkOrder(schema: DurableObjectSchema): void {
  schema.migrations.forEach((m, i) => {
    if (m.version !== i + 1)
      throw new Error(`${schema.name}: migration ${i + 1} is numbered ${m.version}; versions go 1, 2, 3, … in order`);
  });
}
