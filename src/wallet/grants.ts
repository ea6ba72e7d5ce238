import type { Grant } from './wallet-types';
import { spentSince } from './spent-today';

/** A connect code carries a connection back to the publisher host; a minute is enough for one redirect. */
export const CONNECT_CODE_TTL_MS = 60_000;

type Exec = (query: string, ...params: unknown[]) => void;

export type ConnectionView = { host: string; connectedAt: number; spentTodayMicros: number; lastChargeAt: number | null };

export type RedeemResult =
  | { ok: true; connectionId: string }
  | { ok: false; reason: 'unknown_code' | 'code_used' | 'code_expired' | 'wrong_host' | 'revoked' };

/** Whether the session or connection a credential names is still live. */
export function grantActive(sql: SqlStorage, grant: Grant): boolean {
  const table = { session: 'sessions', connection: 'connections', token: 'api_tokens' }[grant.kind];
  return sql.exec(`SELECT 1 FROM ${table} WHERE id = ? AND revoked_at IS NULL`, grant.id).toArray().length > 0;
}

export function activeConnectionFor(sql: SqlStorage, host: string): string | null {
  return (
    sql.exec<{ id: string }>('SELECT id FROM connections WHERE host = ? AND revoked_at IS NULL LIMIT 1', host).toArray()[0]?.id ?? null
  );
}

export function startSession(exec: Exec, id: string, now: number): void {
  exec('INSERT INTO sessions (id, created_at, last_seen_at) VALUES (?, ?, ?)', id, now, now);
}

export function endSession(exec: Exec, id: string, now: number): void {
  exec('UPDATE sessions SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL', now, id);
}

/** Every session and every publisher connection ends; named tokens for scripts are the reader's to revoke one by one. */
export function signOutEverywhere(exec: Exec, now: number): void {
  exec('UPDATE sessions SET revoked_at = ? WHERE revoked_at IS NULL', now);
  exec('UPDATE connections SET revoked_at = ? WHERE revoked_at IS NULL', now);
  exec('DELETE FROM connect_codes');
}

export function connect(sql: SqlStorage, exec: Exec, host: string, newId: string, now: number): string {
  const existing = activeConnectionFor(sql, host);
  if (existing) return existing;
  exec('INSERT INTO connections (id, host, created_at) VALUES (?, ?, ?)', newId, host, now);
  return newId;
}

export function disconnect(exec: Exec, host: string, now: number): void {
  exec('UPDATE connections SET revoked_at = ? WHERE host = ? AND revoked_at IS NULL', now, host);
  exec('DELETE FROM connect_codes WHERE host = ?', host);
}

export function issueConnectCode(
  sql: SqlStorage,
  exec: Exec,
  req: { codeId: string; host: string; returnPath: string },
  now: number,
): { ok: true } | { ok: false; reason: 'not_connected' } {
  const connectionId = activeConnectionFor(sql, req.host);
  if (!connectionId) return { ok: false, reason: 'not_connected' };
  exec('DELETE FROM connect_codes WHERE expires_at <= ?', now);
  exec(
    'INSERT INTO connect_codes (id, connection_id, host, return_path, expires_at) VALUES (?, ?, ?, ?, ?)',
    req.codeId,
    connectionId,
    req.host,
    req.returnPath,
    now + CONNECT_CODE_TTL_MS,
  );
  return { ok: true };
}

/**
 * A code works once, on its own host, with its own return path, before it expires. Any
 * attempt burns it, so a code seen by the wrong host cannot be tried again elsewhere.
 */
export function redeemConnectCode(
  sql: SqlStorage,
  exec: Exec,
  req: { codeId: string; host: string; returnPath: string },
  now: number,
): RedeemResult {
  const row = sql
    .exec<{ connection_id: string; host: string; return_path: string; expires_at: number; used_at: number | null }>(
      'SELECT connection_id, host, return_path, expires_at, used_at FROM connect_codes WHERE id = ?',
      req.codeId,
    )
    .toArray()[0];
  if (!row) return { ok: false, reason: 'unknown_code' };
  if (row.used_at !== null) return { ok: false, reason: 'code_used' };
  exec('UPDATE connect_codes SET used_at = ? WHERE id = ?', now, req.codeId);
  if (row.expires_at <= now) return { ok: false, reason: 'code_expired' };
  if (row.host !== req.host || row.return_path !== req.returnPath) return { ok: false, reason: 'wrong_host' };
  if (!grantActive(sql, { kind: 'connection', id: row.connection_id })) return { ok: false, reason: 'revoked' };
  return { ok: true, connectionId: row.connection_id };
}

export function connections(sql: SqlStorage, dayStart: number): ConnectionView[] {
  return sql
    .exec<{ host: string; created_at: number; spent: number; last_at: number | null }>(
      `SELECT c.host, c.created_at,
        COALESCE((SELECT SUM(amount) FROM ledger l WHERE l.grant_id = c.id AND l.type = 'charge' AND l.voided IS NULL AND l.at >= ?), 0) AS spent,
        (SELECT MAX(at) FROM ledger l WHERE l.grant_id = c.id AND l.type = 'charge' AND l.voided IS NULL) AS last_at
       FROM connections c WHERE c.revoked_at IS NULL ORDER BY c.created_at`,
      dayStart,
    )
    .toArray()
    .map((r) => ({ host: r.host, connectedAt: r.created_at, spentTodayMicros: r.spent, lastChargeAt: r.last_at }));
}

export type NamedTokenView = {
  id: string;
  name: string;
  dailyCapMicros: number | null;
  createdAt: number;
  spentTodayMicros: number;
  lastChargeAt: number | null;
};

export const MAX_NAMED_TOKENS = 20;

export function addNamedToken(
  sql: SqlStorage,
  exec: Exec,
  t: { id: string; name: string; dailyCapMicros: number | null },
  now: number,
): boolean {
  const live = sql.exec<{ n: number }>('SELECT COUNT(*) AS n FROM api_tokens WHERE revoked_at IS NULL').one().n;
  if (live >= MAX_NAMED_TOKENS) return false;
  exec('INSERT INTO api_tokens (id, name, daily_cap, created_at) VALUES (?, ?, ?, ?)', t.id, t.name, t.dailyCapMicros, now);
  return true;
}

export function revokeNamedToken(exec: Exec, id: string, now: number): void {
  exec('UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL', now, id);
}

/** A named token's own cap, and what it charged today (refunds of today's views given back: spent-today.ts). */
export function namedTokenToday(sql: SqlStorage, id: string, dayStart: number): { capMicros: number | null; spentMicros: number } {
  const cap = sql.exec<{ daily_cap: number | null }>('SELECT daily_cap FROM api_tokens WHERE id = ?', id).toArray()[0]?.daily_cap ?? null;
  const spent = spentSince(sql, dayStart, id);
  return { capMicros: cap, spentMicros: spent };
}

export function namedTokens(sql: SqlStorage, dayStart: number): NamedTokenView[] {
  return sql
    .exec<{ id: string; name: string; daily_cap: number | null; created_at: number; spent: number; last_at: number | null }>(
      `SELECT t.id, t.name, t.daily_cap, t.created_at,
        COALESCE((SELECT SUM(amount) FROM ledger l WHERE l.grant_id = t.id AND l.type = 'charge' AND l.voided IS NULL AND l.at >= ?), 0) AS spent,
        (SELECT MAX(at) FROM ledger l WHERE l.grant_id = t.id AND l.type = 'charge' AND l.voided IS NULL) AS last_at
       FROM api_tokens t WHERE t.revoked_at IS NULL ORDER BY t.created_at`,
      dayStart,
    )
    .toArray()
    .map((r) => ({
      id: r.id,
      name: r.name,
      dailyCapMicros: r.daily_cap,
      createdAt: r.created_at,
      spentTodayMicros: r.spent,
      lastChargeAt: r.last_at,
    }));
}
