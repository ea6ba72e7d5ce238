import type { DurableObjectSchema } from '../storage/migrations';

/**
 * The `PublisherRegistry` object's tables (one object for the deployment): publishers,
 * the hosts each owns (a host belongs to one publisher at most), and their API keys,
 * stored as SHA-256 digests only; the people who sign in to the console for a publisher,
 * with their passkeys' public keys, and the invites that made them (digests only). Append a migration to change them; never edit one that
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
    {
      version: 3,
      description: "publishers' people, their passkeys, and single-use invites",
      up: `
CREATE TABLE people (
  id TEXT PRIMARY KEY,
  publisher_id TEXT NOT NULL REFERENCES publishers(id),
  name TEXT NOT NULL,
  role TEXT NOT NULL CHECK (role IN ('owner', 'member')),
  created_at INTEGER NOT NULL,
  removed_at INTEGER
);
CREATE INDEX people_by_publisher ON people(publisher_id, created_at);
CREATE TABLE person_passkeys (
  id TEXT PRIMARY KEY,
  person_id TEXT NOT NULL REFERENCES people(id),
  public_key BLOB NOT NULL,
  counter INTEGER NOT NULL,
  transports TEXT NOT NULL,
  backed_up INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  last_used_at INTEGER
);
CREATE INDEX person_passkeys_by_person ON person_passkeys(person_id);
CREATE TABLE invites (
  id TEXT PRIMARY KEY,
  digest TEXT NOT NULL UNIQUE,
  publisher_id TEXT NOT NULL REFERENCES publishers(id),
  name TEXT NOT NULL,
  role TEXT NOT NULL CHECK (role IN ('owner', 'member')),
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  used_at INTEGER,
  person_id TEXT
);
CREATE INDEX invites_by_publisher ON invites(publisher_id, created_at);
CREATE TABLE console_challenges (
  challenge TEXT PRIMARY KEY,
  expires_at INTEGER NOT NULL
);
`,
    },
    {
      version: 4,
      description: 'hosts a publisher has claimed but not yet proved',
      up: `
CREATE TABLE host_claims (
  publisher_id TEXT NOT NULL REFERENCES publishers(id),
  host TEXT NOT NULL,
  token TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (publisher_id, host)
);
`,
    },
    {
      version: 5,
      description: 'an invite the operator or an owner revoked before it was used',
      up: `
ALTER TABLE invites ADD COLUMN revoked_at INTEGER;
`,
    },
  ],
};
