import type { DurableObjectSchema } from '../storage/migrations';

/**
 * The `CrawlerNonces` objects' table (a few per crawler key): the Web Bot Auth
 * signatures already used, each kept until it expires. Append a migration to change it.
 */
export const crawlerNoncesSchema: DurableObjectSchema = {
  name: 'CrawlerNonces',
  migrations: [
    {
      version: 1,
      description: 'seen signatures (keyid:nonce) and when they expire',
      up: 'CREATE TABLE seen (key TEXT PRIMARY KEY, expires_at INTEGER NOT NULL) WITHOUT ROWID; CREATE INDEX seen_expiry ON seen (expires_at);',
    },
  ],
};
