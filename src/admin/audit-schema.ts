import type { DurableObjectSchema } from '../storage/migrations';

/**
 * The `AdminAudit` object's tables (one object for the deployment; STORAGE.md says what
 * each holds). Append a migration to change them; never edit one that has shipped.
 */
export const auditSchema: DurableObjectSchema = {
  name: 'AdminAudit',
  migrations: [
    {
      version: 1,
      // Exactly the tables the audit created before migrations existed, with IF NOT
      // EXISTS, so the existing object runs it as a no-op and is recorded at version 1.
      description: 'entries and their documents',
      up: `
CREATE TABLE IF NOT EXISTS entries (
  id INTEGER PRIMARY KEY,
  at INTEGER NOT NULL,
  via TEXT NOT NULL CHECK (via IN ('api','console')),
  session TEXT,
  client TEXT,
  action TEXT NOT NULL,
  host TEXT,
  reader TEXT,
  before_hash TEXT,
  after_hash TEXT,
  detail TEXT
);
CREATE INDEX IF NOT EXISTS entries_by_host ON entries(host, id);
CREATE TABLE IF NOT EXISTS documents (
  hash TEXT NOT NULL,
  seq INTEGER NOT NULL,
  bytes INTEGER NOT NULL,
  chunk BLOB NOT NULL,
  PRIMARY KEY (hash, seq)
) WITHOUT ROWID;
`,
    },
    {
      version: 2,
      description: 'who made each change (actor), and the publisher a change belongs to',
      up: `
ALTER TABLE entries ADD COLUMN actor TEXT;
ALTER TABLE entries ADD COLUMN publisher TEXT;
CREATE INDEX entries_by_publisher ON entries(publisher, id);
`,
    },
  ],
};
