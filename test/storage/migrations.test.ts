import { runInDurableObject } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { auditSchema } from '../../src/admin/audit-schema';
import { publisherSchema } from '../../src/publishers/publisher-schema';
import { crawlerNoncesSchema } from '../../src/crawlers/crawler-nonces-schema';
import { paymentIndexSchema } from '../../src/stripe/payment-index-schema';
import { takeBackLogSchema } from '../../src/usage/take-back-log-schema';
import { latestVersion, migrate, SCHEMA_MIGRATIONS_TABLE, type DurableObjectSchema } from '../../src/storage/migrations';
import { usageSchema } from '../../src/usage/usage-schema';
import { walletSchema } from '../../src/wallet/wallet-schema';

type MasterRow = { type: string; name: string; tbl_name: string; sql: string | null };

/** The object's own tables and indexes, as SQLite stores their DDL (Cloudflare's `_cf_` tables left out). */
function ddl(sql: SqlStorage): MasterRow[] {
  return sql
    .exec<MasterRow>(
      "SELECT type, name, tbl_name, sql FROM sqlite_master WHERE name NOT LIKE '\\_cf\\_%' ESCAPE '\\' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY type, name",
    )
    .toArray();
}

function versions(sql: SqlStorage): number[] {
  return sql
    .exec<{ version: number }>(`SELECT version FROM ${SCHEMA_MIGRATIONS_TABLE} ORDER BY version`)
    .toArray()
    .map((r) => r.version);
}

/** `predatesMigrations`: objects of this class were made before migrations existed, with version 1's tables. */
const objects: { schema: DurableObjectSchema; stub: (name: string) => DurableObjectStub; predatesMigrations: boolean }[] = [
  { schema: walletSchema, stub: (name) => env.WALLET.get(env.WALLET.idFromName(name)), predatesMigrations: true },
  { schema: usageSchema, stub: (name) => env.USAGE.get(env.USAGE.idFromName(name)), predatesMigrations: true },
  { schema: auditSchema, stub: (name) => env.ADMIN_AUDIT.get(env.ADMIN_AUDIT.idFromName(name)), predatesMigrations: true },
  { schema: publisherSchema, stub: (name) => env.PUBLISHERS.get(env.PUBLISHERS.idFromName(name)), predatesMigrations: false },
  { schema: paymentIndexSchema, stub: (name) => env.PAYMENT_INDEX.get(env.PAYMENT_INDEX.idFromName(name)), predatesMigrations: false },
  { schema: takeBackLogSchema, stub: (name) => env.TAKE_BACK_LOG.get(env.TAKE_BACK_LOG.idFromName(name)), predatesMigrations: false },
  { schema: crawlerNoncesSchema, stub: (name) => env.CRAWLER_NONCES.get(env.CRAWLER_NONCES.idFromName(name)), predatesMigrations: false },
];

describe('each Durable Object’s schema', () => {
  for (const { schema, stub, predatesMigrations } of objects) {
    it(`${schema.name}: a new object is created at the latest version, with exactly these tables`, async () => {
      await runInDurableObject(stub(`fresh-${schema.name}`), (_object, state) => {
        expect(versions(state.storage.sql)).toEqual(schema.migrations.map((m) => m.version));
        expect(ddl(state.storage.sql)).toMatchSnapshot();
      });
    });

    it.runIf(predatesMigrations)(
      `${schema.name}: an object made before migrations existed upgrades in place and keeps its rows`,
      async () => {
        await runInDurableObject(stub(`old-${schema.name}`), (_object, state) => {
          const sql = state.storage.sql;
          const before = ddl(sql).filter((r) => r.name !== SCHEMA_MIGRATIONS_TABLE);
          // What such an object holds: version 1's tables (the ones made before migrations
          // existed) and some rows, and no record of a version.
          for (const r of ddl(sql)) if (r.type === 'table') sql.exec(`DROP TABLE ${r.name}`);
          const v1 = schema.migrations[0]!.up;
          if (typeof v1 === 'string') sql.exec(v1);
          else v1(sql);
          const table = schema === auditSchema ? 'documents' : 'meta';
          const column = schema === auditSchema ? 'hash' : 'key';
          sql.exec(
            schema === auditSchema
              ? "INSERT INTO documents (hash, seq, bytes, chunk) VALUES ('kept', 0, 42, x'00')"
              : "INSERT INTO meta (key, value) VALUES ('kept', 42)",
          );
          expect(migrate(state.storage, schema)).toEqual({ from: 0, to: latestVersion(schema) });
          expect(ddl(sql).filter((r) => r.name !== SCHEMA_MIGRATIONS_TABLE)).toEqual(before);
          expect(versions(sql)).toEqual(schema.migrations.map((m) => m.version));
          expect(sql.exec(`SELECT COUNT(*) AS n FROM ${table} WHERE ${column} = 'kept'`).one().n).toBe(1);
        });
      },
    );
  }
});

describe('the migration runner', () => {
  const scratch = () => env.ADMIN_AUDIT.get(env.ADMIN_AUDIT.idFromName(`scratch-${crypto.randomUUID()}`));
  /** An object whose storage has run no migration of the schema under test. */
  const blank = (state: DurableObjectState) => state.storage.sql.exec(`DROP TABLE ${SCHEMA_MIGRATIONS_TABLE}`);
  const v1 = { version: 1, description: 'notes', up: 'CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT NOT NULL)' };
  const v2 = { version: 2, description: 'notes get a day', up: 'ALTER TABLE notes ADD COLUMN day TEXT' };

  it('runs only the pending migrations, in order, and once up to date writes nothing', async () => {
    await runInDurableObject(scratch(), (_object, state) => {
      blank(state);
      const sql = state.storage.sql;
      expect(migrate(state.storage, { name: 'Notes', migrations: [v1] })).toEqual({ from: 0, to: 1 });
      sql.exec("INSERT INTO notes (text) VALUES ('first')");
      const backfill = {
        version: 3,
        description: 'days filled in by code',
        up: (s: SqlStorage) => void s.exec("UPDATE notes SET day = '2026-01-01' WHERE day IS NULL"),
      };
      expect(migrate(state.storage, { name: 'Notes', migrations: [v1, v2, backfill] })).toEqual({ from: 1, to: 3 });
      expect(sql.exec('SELECT text, day FROM notes').toArray()).toEqual([{ text: 'first', day: '2026-01-01' }]);
      expect(versions(sql)).toEqual([1, 2, 3]);

      expect(migrate(state.storage, { name: 'Notes', migrations: [v1, v2, backfill] })).toEqual({ from: 3, to: 3 });
      expect(versions(sql)).toEqual([1, 2, 3]);
    });
  });

  it('a migration that fails leaves the object as it was: no half-applied step, no version recorded', async () => {
    await runInDurableObject(scratch(), (_object, state) => {
      blank(state);
      const sql = state.storage.sql;
      migrate(state.storage, { name: 'Notes', migrations: [v1] });
      const broken = { version: 3, description: 'fails half way', up: 'CREATE TABLE more (id INTEGER); INSERT INTO nowhere VALUES (1)' };
      expect(() => migrate(state.storage, { name: 'Notes', migrations: [v1, v2, broken] })).toThrow(/nowhere/);
      expect(versions(sql)).toEqual([1]);
      expect(ddl(sql).map((r) => r.name)).not.toContain('more');
      expect(sql.exec("SELECT COUNT(*) AS n FROM pragma_table_info('notes') WHERE name = 'day'").one().n).toBe(0);
    });
  });

  it('refuses migrations out of order, and storage newer than the code', async () => {
    await runInDurableObject(scratch(), (_object, state) => {
      blank(state);
      expect(() => migrate(state.storage, { name: 'Notes', migrations: [v2] })).toThrow(/numbered 2/);
      migrate(state.storage, { name: 'Notes', migrations: [v1, v2] });
      expect(() => migrate(state.storage, { name: 'Notes', migrations: [v1] })).toThrow(/schema version 2/);
    });
  });
});
