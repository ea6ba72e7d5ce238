import type { DurableObjectSchema } from '../storage/migrations';

/**
 * The `PublisherRegistry` object's tables (one object for the deployment): publishers,
 * the hosts each owns (a host belongs to one publisher at most), and their API keys,
 * stored as SHA-256 digests only. Append a migration to change them; never edit one that
 * has shipped.
 */
export const publisherSchema: DurableObjectSchema = {
  name: 'PublisherRegistry',
  migrations: [
    {
      version: 1,
      description: 'publishers, their hosts and API keys',
      up: `
CREATE TABLE publishers (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE TABLE publisher_hosts (
  host TEXT PRIMARY KEY,
  publisher_id TEXT NOT NULL REFERENCES publishers(id),
  added_at INTEGER NOT NULL
);
CREATE INDEX publisher_hosts_by_publisher ON publisher_hosts(publisher_id, host);
CREATE TABLE api_keys (
  id TEXT PRIMARY KEY,
  publisher_id TEXT NOT NULL REFERENCES publishers(id),
  name TEXT NOT NULL,
  digest TEXT NOT NULL UNIQUE,
  created_at INTEGER NOT NULL,
  last_used_at INTEGER,
  revoked_at INTEGER
);
CREATE INDEX api_keys_by_publisher ON api_keys(publisher_id, created_at);
`,
    },
    {
      version: 2,
      description: 'payouts made to publishers',
      up: `
CREATE TABLE payouts (
  id TEXT PRIMARY KEY,
  publisher_id TEXT NOT NULL REFERENCES publishers(id),
  amount_micros INTEGER NOT NULL CHECK (amount_micros > 0),
  paid_on TEXT NOT NULL,
  reference TEXT NOT NULL,
  recorded_at INTEGER NOT NULL,
  UNIQUE (publisher_id, reference)
);
`,
    },
  ],
};
