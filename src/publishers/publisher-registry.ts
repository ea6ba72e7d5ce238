import { DurableObject } from 'cloudflare:workers';
import { migrate } from '../storage/migrations';
import { publisherSchema } from './publisher-schema';
import type { ApiKeyInfo, KeyHolder, NewKey, Payout, Publisher } from './publisher-types';

/** A key's last use is written at most this often: it says "in use lately", not every call. */
const LAST_USED_RESOLUTION_MS = 60_000;

type KeyRow = { id: string; name: string; created_at: number; last_used_at: number | null; revoked_at: number | null };

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/**
 * Publishers, the hosts they own and their API keys: one SQLite Durable Object for the
 * deployment, so that a revoked key or a host moved to another publisher is refused by
 * the very next call everywhere (KV would take up to a minute). Every admin call with a
 * publisher's key asks this object who the key is; admin calls are few, so one object is
 * no bottleneck. Every method runs without awaiting, so checks and writes are atomic.
 * Expected refusals are answers (`ok: false`), never exceptions.
 */
export class PublisherRegistry extends DurableObject<Env> {
  private readonly sql: SqlStorage;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    migrate(ctx.storage, publisherSchema);
  }

  async createPublisher(input: { publisherId: string; name: string; hosts: string[]; key: NewKey }): Promise<{ ok: true } | { ok: false; reason: 'host_taken'; host: string }> {
    const taken = this.ownerOf(input.hosts);
    if (taken) return { ok: false, reason: 'host_taken', host: taken };
    const now = Date.now();
    this.ctx.storage.transactionSync(() => {
      this.sql.exec('INSERT INTO publishers (id, name, created_at) VALUES (?, ?, ?)', input.publisherId, input.name, now);
      for (const host of input.hosts) this.sql.exec('INSERT INTO publisher_hosts (host, publisher_id, added_at) VALUES (?, ?, ?)', host, input.publisherId, now);
      this.insertKey(input.publisherId, input.key, now);
    });
    return { ok: true };
  }

  /** The holder of the key with this digest, or null when there is none or it is revoked. Notes the use. */
  async authenticate(digest: string): Promise<KeyHolder | null> {
    const row = this.sql
      .exec<{ key_id: string; key_name: string; publisher_id: string; publisher_name: string; last_used_at: number | null }>(
        `SELECT k.id AS key_id, k.name AS key_name, k.last_used_at, p.id AS publisher_id, p.name AS publisher_name
         FROM api_keys k JOIN publishers p ON p.id = k.publisher_id
         WHERE k.digest = ? AND k.revoked_at IS NULL`,
        digest,
      )
      .toArray()[0];
    if (!row) return null;
    const now = Date.now();
    if (row.last_used_at === null || now - row.last_used_at >= LAST_USED_RESOLUTION_MS) {
      this.sql.exec('UPDATE api_keys SET last_used_at = ? WHERE id = ?', now, row.key_id);
    }
    return { publisherId: row.publisher_id, publisherName: row.publisher_name, keyId: row.key_id, keyName: row.key_name, hosts: this.hostsOf(row.publisher_id) };
  }

  async get(publisherId: string): Promise<Publisher | null> {
    const row = this.sql.exec<{ id: string; name: string; created_at: number }>('SELECT * FROM publishers WHERE id = ?', publisherId).toArray()[0];
    if (!row) return null;
    const keys = this.sql
      .exec<KeyRow>('SELECT id, name, created_at, last_used_at, revoked_at FROM api_keys WHERE publisher_id = ? ORDER BY created_at, id', publisherId)
      .toArray()
      .map(keyInfo);
    return { publisherId: row.id, name: row.name, createdAt: iso(row.created_at)!, hosts: this.hostsOf(row.id), keys };
  }

  async list(): Promise<Publisher[]> {
    const ids = this.sql.exec<{ id: string }>('SELECT id FROM publishers ORDER BY created_at, id').toArray();
    const all: Publisher[] = [];
    for (const { id } of ids) all.push((await this.get(id))!);
    return all;
  }

  /** The publisher that owns `host`, or null. */
  async ownerOfHost(host: string): Promise<string | null> {
    return this.sql.exec<{ publisher_id: string }>('SELECT publisher_id FROM publisher_hosts WHERE host = ?', host).toArray()[0]?.publisher_id ?? null;
  }

  async addKey(publisherId: string, key: NewKey): Promise<{ ok: true; key: ApiKeyInfo } | { ok: false; reason: 'no_such_publisher' }> {
    if (!this.exists(publisherId)) return { ok: false, reason: 'no_such_publisher' };
    const now = Date.now();
    this.insertKey(publisherId, key, now);
    return { ok: true, key: { keyId: key.keyId, name: key.name, createdAt: iso(now)!, lastUsedAt: null, revokedAt: null } };
  }

  /** Revokes at once: the next authenticate() with this key finds nothing. Revoking twice changes nothing. */
  async revokeKey(publisherId: string, keyId: string): Promise<{ ok: true; key: ApiKeyInfo } | { ok: false; reason: 'no_such_key' }> {
    const row = this.sql.exec<KeyRow>('SELECT id, name, created_at, last_used_at, revoked_at FROM api_keys WHERE id = ? AND publisher_id = ?', keyId, publisherId).toArray()[0];
    if (!row) return { ok: false, reason: 'no_such_key' };
    if (row.revoked_at === null) {
      row.revoked_at = Date.now();
      this.sql.exec('UPDATE api_keys SET revoked_at = ? WHERE id = ?', row.revoked_at, keyId);
    }
    return { ok: true, key: keyInfo(row) };
  }

  /** Records a payout once per reference: the same bank reference twice is refused, so a retried call cannot pay twice on paper. */
  async recordPayout(
    publisherId: string,
    p: Omit<Payout, 'recordedAt'>,
  ): Promise<{ ok: true; payout: Payout } | { ok: false; reason: 'no_such_publisher' | 'duplicate_reference' }> {
    if (!this.exists(publisherId)) return { ok: false, reason: 'no_such_publisher' };
    if (this.sql.exec('SELECT 1 FROM payouts WHERE publisher_id = ? AND reference = ?', publisherId, p.reference).toArray().length) {
      return { ok: false, reason: 'duplicate_reference' };
    }
    const now = Date.now();
    this.sql.exec(
      'INSERT INTO payouts (id, publisher_id, amount_micros, paid_on, reference, recorded_at) VALUES (?, ?, ?, ?, ?, ?)',
      p.payoutId, publisherId, p.amountMicros, p.paidOn, p.reference, now,
    );
    return { ok: true, payout: { ...p, recordedAt: iso(now)! } };
  }

  async payouts(publisherId: string): Promise<Payout[]> {
    return this.sql
      .exec<{ id: string; amount_micros: number; paid_on: string; reference: string; recorded_at: number }>(
        'SELECT * FROM payouts WHERE publisher_id = ? ORDER BY paid_on, recorded_at',
        publisherId,
      )
      .toArray()
      .map((r) => ({ payoutId: r.id, amountMicros: r.amount_micros, paidOn: r.paid_on, reference: r.reference, recordedAt: iso(r.recorded_at)! }));
  }

  private insertKey(publisherId: string, key: NewKey, now: number): void {
    this.sql.exec('INSERT INTO api_keys (id, publisher_id, name, digest, created_at) VALUES (?, ?, ?, ?, ?)', key.keyId, publisherId, key.name, key.digest, now);
  }

  private exists(publisherId: string): boolean {
    return this.sql.exec('SELECT 1 FROM publishers WHERE id = ?', publisherId).toArray().length > 0;
  }

  private hostsOf(publisherId: string): string[] {
    return this.sql.exec<{ host: string }>('SELECT host FROM publisher_hosts WHERE publisher_id = ? ORDER BY host', publisherId).toArray().map((r) => r.host);
  }

  private ownerOf(hosts: string[]): string | null {
    for (const host of hosts) if (this.sql.exec('SELECT 1 FROM publisher_hosts WHERE host = ?', host).toArray().length) return host;
    return null;
  }
}

function keyInfo(row: KeyRow): ApiKeyInfo {
  return { keyId: row.id, name: row.name, createdAt: iso(row.created_at)!, lastUsedAt: iso(row.last_used_at), revokedAt: iso(row.revoked_at) };
}
