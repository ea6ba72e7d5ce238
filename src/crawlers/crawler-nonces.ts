import { MigratedObject } from '../storage/migrated-object';
import { crawlerNoncesSchema } from './crawler-nonces-schema';

/**
 * Signatures already seen, so that a captured signed request cannot be replayed. Kept
 * in Durable Objects, not KV: "seen" must be decided once, everywhere at the same time,
 * and KV's reads can be a minute stale. A crawler's keys are spread over a few objects
 * (by keyid and a hash of the nonce) so that one busy crawler is not one hot object.
 * An entry is kept until its signature expires (at most MAX_SIGNATURE_LIFETIME_SECONDS
 * ahead), after which the signature is refused as expired anyway; an alarm sweeps them.
 */
export class CrawlerNonces extends MigratedObject {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env, crawlerNoncesSchema);
  }

  /** True the first time a key is claimed before it expires; false for a replay. */
  async claim(key: string, expiresAtMs: number): Promise<boolean> {
    const now = Date.now();
    const claimed = this.sql
      .exec(
        `INSERT INTO seen (key, expires_at) VALUES (?, ?)
         ON CONFLICT (key) DO UPDATE SET expires_at = excluded.expires_at WHERE seen.expires_at < ?
         RETURNING key`,
        key,
        expiresAtMs,
        now,
      )
      .toArray();
    if ((await this.ctx.storage.getAlarm()) === null) await this.ctx.storage.setAlarm(expiresAtMs + 1000);
    return claimed.length === 1;
  }

  override async alarm(): Promise<void> {
    const now = Date.now();
    this.sql.exec('DELETE FROM seen WHERE expires_at < ?', now);
    const next = this.sql.exec<{ next: number | null }>('SELECT MIN(expires_at) AS next FROM seen').one().next;
    if (next !== null) await this.ctx.storage.setAlarm(Math.max(next + 1000, now + 1000));
  }
}

const SHARDS = 8;

/** Claims a signature's replay key (keyid and nonce) in its shard. */
export async function claimNonce(env: Env, keyid: string, replayKey: string, expiresAtMs: number): Promise<boolean> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(replayKey)));
  const stub = env.CRAWLER_NONCES.get(env.CRAWLER_NONCES.idFromName(`${keyid}:${digest[0]! % SHARDS}`));
  return stub.claim(`${keyid}:${replayKey}`, expiresAtMs);
}
