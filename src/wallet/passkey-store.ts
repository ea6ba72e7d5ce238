/**
 * A reader's passkeys and recovery code, over the wallet's SQL (tables from wallet
 * migration 5, src/wallet/reader-identity-schema.ts). Each write function is called by
 * the Wallet inside one `transactionSync`, and a Durable Object runs one request at a
 * time, so a read followed by a write here cannot interleave with another request.
 *
 * Expected outcomes are `{ ok: false, reason }` values, never throws: a throwing RPC
 * method becomes a 500 for the caller (and fails vitest, workers-sdk #14736).
 */

type Exec = (query: string, ...params: unknown[]) => void;

/** What verifying a sign-in needs: @simplewebauthn/server's `WebAuthnCredential`. */
export type StoredPasskey = { id: string; publicKey: Uint8Array; counter: number; transports?: string[] };

export type PasskeySummary = {
  id: string;
  name: string;
  createdAt: number;
  lastUsedAt: number | null;
  /** Synced by the platform (iCloud Keychain, Google Password Manager): losing one device does not lose it. */
  backedUp: boolean;
};

export type NewPasskey = {
  id: string;
  publicKey: Uint8Array;
  counter: number;
  transports?: string[];
  deviceType: 'singleDevice' | 'multiDevice';
  backedUp: boolean;
  name: string;
  /** The registration's challenge, consumed with the insert so that a registration counts once. */
  challenge: string;
  challengeExpiresAt: number;
};

export type UsePasskey = {
  credentialId: string;
  newCounter: number;
  challenge: string;
  challengeExpiresAt: number;
  /** A passkey made on one device may be synced later: the list shows it once the authenticator says so. */
  backedUp?: boolean;
};

export type AddPasskeyResult =
  | { ok: true }
  | { ok: false; reason: 'no_such_reader' | 'challenge_used' | 'already_registered' | 'too_many_passkeys' };
export type UsePasskeyResult = { ok: true } | { ok: false; reason: 'challenge_used' | 'unknown_credential' | 'counter_not_increased' };
export type RemovePasskeyResult = { ok: true } | { ok: false; reason: 'not_found' | 'last_passkey' };
export type RecoveryCheckResult = { ok: true } | { ok: false; reason: 'wrong_code' | 'too_many_attempts' };

/** Wrong recovery codes allowed per wallet per window: the code has ~105 random bits, so this only stops a script. */
export const RECOVERY_MAX_FAILURES = 10;
export const RECOVERY_WINDOW_MS = 60 * 60 * 1000;
/** At most this many passkeys per wallet: each is a row read on every list and a key an attacker with a session could add. */
export const MAX_PASSKEYS = 20;

const HASH = /^[0-9a-f]{64}$/;

type PasskeyRow = {
  id: string;
  public_key: ArrayBuffer;
  counter: number;
  transports: string | null;
  name: string;
  created_at: number;
  last_used_at: number | null;
  backed_up: number;
};

export function passkeyFor(sql: SqlStorage, credentialId: string): StoredPasskey | null {
  const row = sql
    .exec<Pick<PasskeyRow, 'id' | 'public_key' | 'counter' | 'transports'>>(
      'SELECT id, public_key, counter, transports FROM passkeys WHERE id = ?',
      credentialId,
    )
    .toArray()[0];
  if (!row) return null;
  const transports = row.transports ? (JSON.parse(row.transports) as string[]) : undefined;
  return { id: row.id, publicKey: new Uint8Array(row.public_key), counter: row.counter, ...(transports ? { transports } : {}) };
}

export function listPasskeys(sql: SqlStorage): PasskeySummary[] {
  return sql
    .exec<Pick<PasskeyRow, 'id' | 'name' | 'created_at' | 'last_used_at' | 'backed_up'>>(
      'SELECT id, name, created_at, last_used_at, backed_up FROM passkeys ORDER BY created_at, id',
    )
    .toArray()
    .map((r) => ({ id: r.id, name: r.name, createdAt: r.created_at, lastUsedAt: r.last_used_at, backedUp: r.backed_up === 1 }));
}

export function addPasskey(sql: SqlStorage, exec: Exec, key: NewPasskey, now: number): AddPasskeyResult {
  if (!consumeChallenge(sql, exec, key.challenge, key.challengeExpiresAt, now)) return { ok: false, reason: 'challenge_used' };
  if (sql.exec('SELECT 1 FROM passkeys WHERE id = ?', key.id).toArray().length > 0) return { ok: false, reason: 'already_registered' };
  const count = sql.exec<{ n: number }>('SELECT COUNT(*) AS n FROM passkeys').one().n;
  if (count >= MAX_PASSKEYS) return { ok: false, reason: 'too_many_passkeys' };
  exec(
    'INSERT INTO passkeys (id, public_key, counter, transports, device_type, backed_up, name, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    key.id,
    toArrayBuffer(key.publicKey),
    key.counter,
    key.transports && key.transports.length > 0 ? JSON.stringify(key.transports) : null,
    key.deviceType,
    key.backedUp ? 1 : 0,
    key.name,
    now,
  );
  return { ok: true };
}

/**
 * A verified sign-in: the challenge is consumed and the counter recorded in the same
 * write, so that of two requests carrying one signed response only the first signs in.
 */
export function usePasskey(sql: SqlStorage, exec: Exec, use: UsePasskey, now: number): UsePasskeyResult {
  const key = passkeyFor(sql, use.credentialId);
  if (!key) return { ok: false, reason: 'unknown_credential' };
  // The library checked this against the counter it was given; two sign-ins verified
  // concurrently against the same stored counter are told apart here.
  if ((use.newCounter > 0 || key.counter > 0) && use.newCounter <= key.counter) return { ok: false, reason: 'counter_not_increased' };
  if (!consumeChallenge(sql, exec, use.challenge, use.challengeExpiresAt, now)) return { ok: false, reason: 'challenge_used' };
  exec(
    'UPDATE passkeys SET counter = ?, last_used_at = ?, backed_up = COALESCE(?, backed_up) WHERE id = ?',
    use.newCounter,
    now,
    use.backedUp === undefined ? null : use.backedUp ? 1 : 0,
    use.credentialId,
  );
  return { ok: true };
}

/**
 * Removing the last passkey is allowed only while a recovery code exists (as wallets
 * like Axate and Supertab do): a wallet with neither could never be signed in to again,
 * and its balance would be stranded.
 */
export function removePasskey(sql: SqlStorage, exec: Exec, id: string): RemovePasskeyResult {
  if (sql.exec('SELECT 1 FROM passkeys WHERE id = ?', id).toArray().length === 0) return { ok: false, reason: 'not_found' };
  const count = sql.exec<{ n: number }>('SELECT COUNT(*) AS n FROM passkeys').one().n;
  if (count === 1 && !hasRecoveryCode(sql)) return { ok: false, reason: 'last_passkey' };
  exec('DELETE FROM passkeys WHERE id = ?', id);
  return { ok: true };
}

export function hasRecoveryCode(sql: SqlStorage): boolean {
  return sql.exec('SELECT 1 FROM recovery WHERE id = 1').toArray().length > 0;
}

/** Sets or rotates the code; a new code starts with a clean throttle. */
export function setRecoveryCodeHash(exec: Exec, hash: string, now: number): { ok: true } | { ok: false; reason: 'invalid_hash' } {
  if (!HASH.test(hash)) return { ok: false, reason: 'invalid_hash' };
  exec(
    `INSERT INTO recovery (id, hash, created_at, failed_attempts, window_start) VALUES (1, ?, ?, 0, 0)
     ON CONFLICT (id) DO UPDATE SET hash = excluded.hash, created_at = excluded.created_at, failed_attempts = 0, window_start = 0`,
    hash,
    now,
  );
  return { ok: true };
}

/**
 * Whether `hash` is the wallet's recovery code. Once 10 wrong codes have been tried
 * within an hour, even the right one is refused until the hour is over, so that the
 * answer tells a guesser nothing. Consumes nothing: the caller rotates the code after
 * a success.
 */
export function checkRecoveryCode(sql: SqlStorage, exec: Exec, hash: string, now: number): RecoveryCheckResult {
  const row = sql
    .exec<{ hash: string; failed_attempts: number; window_start: number }>(
      'SELECT hash, failed_attempts, window_start FROM recovery WHERE id = 1',
    )
    .toArray()[0];
  if (!row) return { ok: false, reason: 'wrong_code' };
  const windowOver = now - row.window_start >= RECOVERY_WINDOW_MS;
  const failures = windowOver ? 0 : row.failed_attempts;
  if (failures >= RECOVERY_MAX_FAILURES) return { ok: false, reason: 'too_many_attempts' };
  if (HASH.test(hash) && sameText(hash, row.hash)) return { ok: true };
  exec('UPDATE recovery SET failed_attempts = ?, window_start = ? WHERE id = 1', failures + 1, windowOver ? now : row.window_start);
  return { ok: false, reason: 'wrong_code' };
}

/** Inside a write: false when the challenge was used already. Expired rows go while we are here. */
function consumeChallenge(sql: SqlStorage, exec: Exec, challenge: string, expiresAt: number, now: number): boolean {
  exec('DELETE FROM used_challenges WHERE expires_at < ?', now);
  if (sql.exec('SELECT 1 FROM used_challenges WHERE challenge = ?', challenge).toArray().length > 0) return false;
  // A challenge past its expiry is refused by the sealed value before it gets here; the
  // row is kept at least until then so that it cannot be replayed before it expires.
  exec('INSERT INTO used_challenges (challenge, expires_at) VALUES (?, ?)', challenge, Math.max(expiresAt, now));
  return true;
}

/** Both are 64 hex characters, so only the content is compared, in constant time. */
function sameText(a: string, b: string): boolean {
  const x = new TextEncoder().encode(a);
  const y = new TextEncoder().encode(b);
  return x.byteLength === y.byteLength && crypto.subtle.timingSafeEqual(x, y);
}

function toArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  return bytes.slice().buffer as ArrayBuffer;
}
