/**
 * Who may spend a wallet, and money moving between wallets (wallet migration 5).
 *
 * - `sessions`: the reader signed in on the wallet host (one per browser); revoked by
 *   signing out, or all at once by "sign out everywhere".
 * - `connections`: a publisher host the reader allowed to charge them. Its spend-only
 *   tokens name the connection, so revoking the row stops every one of them at once.
 * - `connect_codes`: the single-use code that carries a connection back to the publisher
 *   host, bound to that host and return path, valid for a minute.
 * - `passkeys`: the reader's WebAuthn credentials; `used_challenges` makes each signed
 *   challenge count once.
 * - `recovery`: the hash of the one recovery code (the code itself is shown once).
 * - `api_tokens`: bearer tokens a signed-in reader named for their own scripts, each
 *   with its own daily cap.
 * - `transfers`: one row per transfer between two wallets, on each side, so that every
 *   step can be retried and none happens twice.
 * - `ledger.grant_id`: the connection or named token that paid a charge, so that a
 *   token's own daily cap and a publisher's "spent today" can be read off the ledger.
 */
export const READER_IDENTITY_MIGRATION = `
CREATE TABLE sessions (
  id TEXT PRIMARY KEY,
  created_at INTEGER NOT NULL,
  last_seen_at INTEGER NOT NULL,
  revoked_at INTEGER
) WITHOUT ROWID;
CREATE TABLE connections (
  id TEXT PRIMARY KEY,
  host TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  revoked_at INTEGER
) WITHOUT ROWID;
CREATE TABLE connect_codes (
  id TEXT PRIMARY KEY,
  connection_id TEXT NOT NULL,
  host TEXT NOT NULL,
  return_path TEXT NOT NULL,
  expires_at INTEGER NOT NULL,
  used_at INTEGER
) WITHOUT ROWID;
CREATE TABLE passkeys (
  id TEXT PRIMARY KEY,
  public_key BLOB NOT NULL,
  counter INTEGER NOT NULL,
  transports TEXT,
  device_type TEXT,
  backed_up INTEGER NOT NULL DEFAULT 0,
  name TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  last_used_at INTEGER
) WITHOUT ROWID;
CREATE TABLE used_challenges (challenge TEXT PRIMARY KEY, expires_at INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE recovery (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  hash TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  failed_attempts INTEGER NOT NULL DEFAULT 0,
  window_start INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE api_tokens (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  daily_cap INTEGER,
  created_at INTEGER NOT NULL,
  revoked_at INTEGER
) WITHOUT ROWID;
CREATE TABLE transfers (
  id TEXT PRIMARY KEY,
  direction TEXT NOT NULL CHECK (direction IN ('out','in')),
  peer TEXT NOT NULL,
  amount INTEGER NOT NULL CHECK (amount >= 0),
  state TEXT NOT NULL CHECK (state IN ('pending','done')),
  at INTEGER NOT NULL
) WITHOUT ROWID;
ALTER TABLE ledger ADD COLUMN grant_id TEXT;
`;
