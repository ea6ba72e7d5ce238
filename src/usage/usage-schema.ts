import type { DurableObjectSchema } from '../storage/migrations';

/**
 * The `UsageAggregator` object's tables (one object per site; STORAGE.md says what each
 * holds). Append a migration to change them; never edit one that has shipped.
 */
export const usageSchema: DurableObjectSchema = {
  name: 'UsageAggregator',
  migrations: [
    {
      version: 1,
      // Exactly the tables aggregators created before migrations existed, with IF NOT
      // EXISTS, so an existing aggregator runs it as a no-op and is recorded at version 1.
      description: 'days, day paths, reader seqs, view events, meta',
      up: `
CREATE TABLE IF NOT EXISTS days (
  day TEXT PRIMARY KEY,
  views INTEGER NOT NULL DEFAULT 0,
  paid_views INTEGER NOT NULL DEFAULT 0,
  revenue INTEGER NOT NULL DEFAULT 0,
  version INTEGER NOT NULL DEFAULT 0,
  flushed INTEGER NOT NULL DEFAULT 0,
  top TEXT
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS day_paths (
  day TEXT NOT NULL,
  path TEXT NOT NULL,
  paid_views INTEGER NOT NULL,
  revenue INTEGER NOT NULL,
  PRIMARY KEY (day, path)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS reader_seqs (reader_id TEXT PRIMARY KEY, seq INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS view_events (id TEXT PRIMARY KEY, day TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value) WITHOUT ROWID;
`,
    },
    {
      version: 2,
      description: "view refunds per day, for publishers' statements",
      up: `
ALTER TABLE days ADD COLUMN refunds INTEGER NOT NULL DEFAULT 0;
ALTER TABLE days ADD COLUMN refunded INTEGER NOT NULL DEFAULT 0;
`,
    },
  ],
};
