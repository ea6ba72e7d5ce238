/**
 * A Durable Object's SQL that counts the rows its statements write. Rows written are what
 * Cloudflare bills SQLite-backed objects by; `test/system/cost.test.ts` and the bench read the count.
 */
export class CountedSql {
  rowsWritten = 0;

  constructor(private readonly sql: SqlStorage) {}

  /** Runs a statement to completion and returns its rows. */
  all<T extends Record<string, SqlStorageValue>>(query: string, ...params: unknown[]): T[] {
    const cursor = this.sql.exec<T>(query, ...params);
    const rows = cursor.toArray();
    this.rowsWritten += cursor.rowsWritten;
    return rows;
  }
}
