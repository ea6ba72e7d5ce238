import { MigratedObject } from '../storage/migrated-object';
import { publisherSchema } from './publisher-schema';
import type {
  ApiKeyInfo,
  HostClaim,
  InviteInfo,
  KeyHolder,
  NewKey,
  OpenInvite,
  PasskeyInfo,
  Payout,
  Person,
  PersonHolder,
  PersonPasskey,
  Publisher,
  Role,
} from './publisher-types';

/** A key's last use is written at most this often: it says "in use lately", not every call. */
const LAST_USED_RESOLUTION_MS = 60_000;
/** A claim on a host that its origin has not proved in this time is forgotten: its token no longer proves anything. */
export const CLAIM_LIFETIME_MS = 7 * 86_400_000;
/** Enough for a phone, a laptop and a spare key or two; more is a sign of something wrong. */
export const MAX_PASSKEYS_PER_PERSON = 10;

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
export class PublisherRegistry extends MigratedObject {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env, publisherSchema);
  }

  async createPublisher(input: {
    publisherId: string;
    name: string;
    hosts: string[];
    key: NewKey;
  }): Promise<{ ok: true } | { ok: false; reason: 'host_taken'; host: string }> {
    const taken = this.ownerOf(input.hosts);
    if (taken) return { ok: false, reason: 'host_taken', host: taken };
    const now = Date.now();
    this.ctx.storage.transactionSync(() => {
      this.sql.exec('INSERT INTO publishers (id, name, created_at) VALUES (?, ?, ?)', input.publisherId, input.name, now);
      for (const host of input.hosts)
        this.sql.exec('INSERT INTO publisher_hosts (host, publisher_id, added_at) VALUES (?, ?, ?)', host, input.publisherId, now);
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
    return {
      publisherId: row.publisher_id,
      publisherName: row.publisher_name,
      keyId: row.key_id,
      keyName: row.key_name,
      hosts: this.hostsOf(row.publisher_id),
    };
  }

  async get(publisherId: string): Promise<Publisher | null> {
    const row = this.sql
      .exec<{ id: string; name: string; created_at: number }>('SELECT * FROM publishers WHERE id = ?', publisherId)
      .toArray()[0];
    if (!row) return null;
    const keys = this.sql
      .exec<KeyRow>(
        'SELECT id, name, created_at, last_used_at, revoked_at FROM api_keys WHERE publisher_id = ? ORDER BY created_at, id',
        publisherId,
      )
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
    return (
      this.sql.exec<{ publisher_id: string }>('SELECT publisher_id FROM publisher_hosts WHERE host = ?', host).toArray()[0]?.publisher_id ??
      null
    );
  }

  async addKey(publisherId: string, key: NewKey): Promise<{ ok: true; key: ApiKeyInfo } | { ok: false; reason: 'no_such_publisher' }> {
    if (!this.exists(publisherId)) return { ok: false, reason: 'no_such_publisher' };
    const now = Date.now();
    this.insertKey(publisherId, key, now);
    return { ok: true, key: { keyId: key.keyId, name: key.name, createdAt: iso(now)!, lastUsedAt: null, revokedAt: null } };
  }

  /** Revokes at once: the next authenticate() with this key finds nothing. Revoking twice changes nothing. */
  async revokeKey(publisherId: string, keyId: string): Promise<{ ok: true; key: ApiKeyInfo } | { ok: false; reason: 'no_such_key' }> {
    const row = this.sql
      .exec<KeyRow>(
        'SELECT id, name, created_at, last_used_at, revoked_at FROM api_keys WHERE id = ? AND publisher_id = ?',
        keyId,
        publisherId,
      )
      .toArray()[0];
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
      p.payoutId,
      publisherId,
      p.amountMicros,
      p.paidOn,
      p.reference,
      now,
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
      .map((r) => ({
        payoutId: r.id,
        amountMicros: r.amount_micros,
        paidOn: r.paid_on,
        reference: r.reference,
        recordedAt: iso(r.recorded_at)!,
      }));
  }

  // ---- Hosts claimed, proved, or added by the operator ------------------------------

  /**
   * A claim on a host no publisher owns: a token its origin must serve. Claiming twice
   * answers the same token. Several publishers may claim one host; the first to prove it wins.
   */
  async claimHost(
    publisherId: string,
    host: string,
    token: string,
  ): Promise<{ ok: true; claim: HostClaim } | { ok: false; reason: 'no_such_publisher' | 'host_taken' | 'already_yours' }> {
    if (!this.exists(publisherId)) return { ok: false, reason: 'no_such_publisher' };
    const owner = await this.ownerOfHost(host);
    if (owner) return { ok: false, reason: owner === publisherId ? 'already_yours' : 'host_taken' };
    const now = Date.now();
    this.forgetExpiredClaims(now);
    this.sql.exec(
      'INSERT OR IGNORE INTO host_claims (publisher_id, host, token, created_at) VALUES (?, ?, ?, ?)',
      publisherId,
      host,
      token,
      now,
    );
    return { ok: true, claim: this.claimRow(publisherId, host)! };
  }

  async claims(publisherId: string): Promise<HostClaim[]> {
    this.forgetExpiredClaims(Date.now());
    return this.sql
      .exec<{ host: string; token: string; created_at: number }>(
        'SELECT host, token, created_at FROM host_claims WHERE publisher_id = ? ORDER BY created_at, host',
        publisherId,
      )
      .toArray()
      .map((r) => claimInfo(r));
  }

  async claimOf(publisherId: string, host: string): Promise<HostClaim | null> {
    this.forgetExpiredClaims(Date.now());
    return this.claimRow(publisherId, host);
  }

  /** Pending claims older than CLAIM_LIFETIME_MS end: their token proves nothing, and claiming again makes a new one. */
  private forgetExpiredClaims(now: number): void {
    this.sql.exec('DELETE FROM host_claims WHERE created_at <= ?', now - CLAIM_LIFETIME_MS);
  }

  /** The host becomes the publisher's (proved, or vouched for by the operator); every claim on it ends. */
  async addHost(
    publisherId: string,
    host: string,
  ): Promise<{ ok: true } | { ok: false; reason: 'no_such_publisher' | 'host_taken' | 'already_yours' }> {
    if (!this.exists(publisherId)) return { ok: false, reason: 'no_such_publisher' };
    const owner = await this.ownerOfHost(host);
    if (owner) return { ok: false, reason: owner === publisherId ? 'already_yours' : 'host_taken' };
    this.ctx.storage.transactionSync(() => {
      this.sql.exec('INSERT INTO publisher_hosts (host, publisher_id, added_at) VALUES (?, ?, ?)', host, publisherId, Date.now());
      this.sql.exec('DELETE FROM host_claims WHERE host = ?', host);
    });
    return { ok: true };
  }

  private claimRow(publisherId: string, host: string): HostClaim | null {
    const r = this.sql
      .exec<{ host: string; token: string; created_at: number }>(
        'SELECT host, token, created_at FROM host_claims WHERE publisher_id = ? AND host = ?',
        publisherId,
        host,
      )
      .toArray()[0];
    return r ? claimInfo(r) : null;
  }

  // ---- People, their passkeys and invites -------------------------------------------

  /** An invite for one person to join the publisher; only the code's digest is kept. */
  async createInvite(input: {
    inviteId: string;
    digest: string;
    publisherId: string;
    name: string;
    role: Role;
    expiresAt: number;
  }): Promise<{ ok: true; invite: InviteInfo } | { ok: false; reason: 'no_such_publisher' }> {
    if (!this.exists(input.publisherId)) return { ok: false, reason: 'no_such_publisher' };
    const now = Date.now();
    this.sql.exec(
      'INSERT INTO invites (id, digest, publisher_id, name, role, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
      input.inviteId,
      input.digest,
      input.publisherId,
      input.name,
      input.role,
      now,
      input.expiresAt,
    );
    return {
      ok: true,
      invite: {
        inviteId: input.inviteId,
        name: input.name,
        role: input.role,
        createdAt: iso(now)!,
        expiresAt: iso(input.expiresAt)!,
        usedAt: null,
        revokedAt: null,
      },
    };
  }

  /** The invite with this digest while it is unused and unexpired, or null. Reading it does not use it. */
  async openInvite(digest: string): Promise<OpenInvite | null> {
    const row = this.openInviteRow(digest, Date.now());
    return row
      ? {
          inviteId: row.id,
          publisherId: row.publisher_id,
          publisherName: row.publisher_name,
          name: row.name,
          role: row.role,
          expiresAt: iso(row.expires_at)!,
        }
      : null;
  }

  async invites(publisherId: string): Promise<InviteInfo[]> {
    return this.sql
      .exec<InviteRow>(
        'SELECT id, name, role, created_at, expires_at, used_at, revoked_at FROM invites WHERE publisher_id = ? ORDER BY created_at DESC, id LIMIT 50',
        publisherId,
      )
      .toArray()
      .map(inviteInfo);
  }

  /**
   * Accepting an invite: the person is made with their first passkey, the invite is used
   * up and the challenge consumed, all in one write, so that of two requests carrying the
   * same invite only the first makes anyone.
   */
  async acceptInvite(input: {
    digest: string;
    personId: string;
    passkey: PersonPasskey & { backedUp: boolean };
    challenge: string;
    challengeExpiresAt: number;
  }): Promise<{ ok: true; holder: PersonHolder } | { ok: false; reason: 'invite_invalid' | 'challenge_used' | 'already_registered' }> {
    const now = Date.now();
    const invite = this.openInviteRow(input.digest, now);
    if (!invite) return { ok: false, reason: 'invite_invalid' };
    if (this.sql.exec('SELECT 1 FROM person_passkeys WHERE id = ?', input.passkey.id).toArray().length)
      return { ok: false, reason: 'already_registered' };
    // A challenge sealed for adding a passkey names a person who exists already: it cannot make a new one.
    if (this.sql.exec('SELECT 1 FROM people WHERE id = ?', input.personId).toArray().length) return { ok: false, reason: 'challenge_used' };
    if (!this.consumeChallenge(input.challenge, input.challengeExpiresAt, now)) return { ok: false, reason: 'challenge_used' };
    this.ctx.storage.transactionSync(() => {
      this.sql.exec(
        'INSERT INTO people (id, publisher_id, name, role, created_at) VALUES (?, ?, ?, ?, ?)',
        input.personId,
        invite.publisher_id,
        invite.name,
        invite.role,
        now,
      );
      this.insertPasskey(input.personId, input.passkey, now);
      this.sql.exec('UPDATE invites SET used_at = ?, person_id = ? WHERE id = ?', now, input.personId, invite.id);
    });
    return { ok: true, holder: this.personHolderOf(input.personId)! };
  }

  /** A passkey of a person who is still one of a publisher's people, or null. */
  async personPasskey(credentialId: string): Promise<{ personId: string; passkey: PersonPasskey } | null> {
    const row = this.sql
      .exec<{ id: string; person_id: string; public_key: ArrayBuffer; counter: number; transports: string }>(
        `SELECT k.id, k.person_id, k.public_key, k.counter, k.transports FROM person_passkeys k JOIN people p ON p.id = k.person_id
         WHERE k.id = ? AND p.removed_at IS NULL`,
        credentialId,
      )
      .toArray()[0];
    if (!row) return null;
    return {
      personId: row.person_id,
      passkey: {
        id: row.id,
        publicKey: new Uint8Array(row.public_key),
        counter: row.counter,
        transports: JSON.parse(row.transports) as string[],
      },
    };
  }

  /** A verified sign-in: the counter is recorded and the challenge consumed in one write. */
  async usePersonPasskey(use: {
    personId: string;
    credentialId: string;
    newCounter: number;
    challenge: string;
    challengeExpiresAt: number;
  }): Promise<
    { ok: true; holder: PersonHolder } | { ok: false; reason: 'unknown_credential' | 'counter_not_increased' | 'challenge_used' }
  > {
    const now = Date.now();
    const key = this.sql
      .exec<{ counter: number }>('SELECT counter FROM person_passkeys WHERE id = ? AND person_id = ?', use.credentialId, use.personId)
      .toArray()[0];
    const holder = this.personHolderOf(use.personId);
    if (!key || !holder) return { ok: false, reason: 'unknown_credential' };
    if ((use.newCounter > 0 || key.counter > 0) && use.newCounter <= key.counter) return { ok: false, reason: 'counter_not_increased' };
    if (!this.consumeChallenge(use.challenge, use.challengeExpiresAt, now)) return { ok: false, reason: 'challenge_used' };
    this.sql.exec('UPDATE person_passkeys SET counter = ?, last_used_at = ? WHERE id = ?', use.newCounter, now, use.credentialId);
    return { ok: true, holder };
  }

  /**
   * Removes one of a publisher's people: their sessions are refused from the next request
   * (every console request asks personHolder, which no longer finds them) and their
   * passkeys sign nobody in. Their row stays, for the audit log's names.
   */
  async removePerson(
    publisherId: string,
    personId: string,
  ): Promise<{ ok: true; person: Person } | { ok: false; reason: 'no_such_person' }> {
    const person = (await this.people(publisherId)).find((p) => p.personId === personId);
    if (!person) return { ok: false, reason: 'no_such_person' };
    this.sql.exec('UPDATE people SET removed_at = ? WHERE id = ? AND publisher_id = ?', Date.now(), personId, publisherId);
    return { ok: true, person };
  }

  /** Revokes an invite not yet used: its link then fails like a used one. */
  async revokeInvite(
    publisherId: string,
    inviteId: string,
  ): Promise<{ ok: true; invite: InviteInfo } | { ok: false; reason: 'no_such_invite' }> {
    const row = this.sql
      .exec<InviteRow>(
        'SELECT id, name, role, created_at, expires_at, used_at, revoked_at FROM invites WHERE id = ? AND publisher_id = ? AND used_at IS NULL AND revoked_at IS NULL',
        inviteId,
        publisherId,
      )
      .toArray()[0];
    if (!row) return { ok: false, reason: 'no_such_invite' };
    row.revoked_at = Date.now();
    this.sql.exec('UPDATE invites SET revoked_at = ? WHERE id = ?', row.revoked_at, inviteId);
    return { ok: true, invite: inviteInfo(row) };
  }

  /** A person's passkeys, oldest first (ids and dates only). */
  async personPasskeys(personId: string): Promise<PasskeyInfo[]> {
    return this.sql
      .exec<{ id: string; created_at: number; last_used_at: number | null }>(
        'SELECT id, created_at, last_used_at FROM person_passkeys WHERE person_id = ? ORDER BY created_at, id',
        personId,
      )
      .toArray()
      .map((r) => ({ credentialId: r.id, createdAt: iso(r.created_at)!, lastUsedAt: iso(r.last_used_at) }));
  }

  /** A signed-in person adds another passkey; the challenge is consumed in the same write. */
  async addPersonPasskey(input: {
    personId: string;
    passkey: PersonPasskey & { backedUp: boolean };
    challenge: string;
    challengeExpiresAt: number;
  }): Promise<
    { ok: true; passkey: PasskeyInfo } | { ok: false; reason: 'unknown_person' | 'already_registered' | 'too_many' | 'challenge_used' }
  > {
    const now = Date.now();
    if (!this.personHolderOf(input.personId)) return { ok: false, reason: 'unknown_person' };
    if (this.sql.exec('SELECT 1 FROM person_passkeys WHERE id = ?', input.passkey.id).toArray().length)
      return { ok: false, reason: 'already_registered' };
    const count = this.sql.exec<{ n: number }>('SELECT COUNT(*) AS n FROM person_passkeys WHERE person_id = ?', input.personId).one().n;
    if (count >= MAX_PASSKEYS_PER_PERSON) return { ok: false, reason: 'too_many' };
    if (!this.consumeChallenge(input.challenge, input.challengeExpiresAt, now)) return { ok: false, reason: 'challenge_used' };
    const k = input.passkey;
    this.insertPasskey(input.personId, k, now);
    return { ok: true, passkey: { credentialId: k.id, createdAt: iso(now)!, lastUsedAt: null } };
  }

  /** Removes one of a person's own passkeys, never their last: they would be locked out. */
  async removePersonPasskey(
    personId: string,
    credentialId: string,
  ): Promise<{ ok: true; passkey: PasskeyInfo } | { ok: false; reason: 'no_such_passkey' | 'last_passkey' }> {
    const keys = await this.personPasskeys(personId);
    const key = keys.find((k) => k.credentialId === credentialId);
    if (!key || !this.personHolderOf(personId)) return { ok: false, reason: 'no_such_passkey' };
    if (keys.length === 1) return { ok: false, reason: 'last_passkey' };
    this.sql.exec('DELETE FROM person_passkeys WHERE id = ? AND person_id = ?', credentialId, personId);
    return { ok: true, passkey: key };
  }

  /** Who a console session's person is now, with their publisher's hosts; null once removed. */
  async personHolder(personId: string): Promise<PersonHolder | null> {
    return this.personHolderOf(personId);
  }

  async people(publisherId: string): Promise<Person[]> {
    return this.sql
      .exec<{ id: string; publisher_id: string; name: string; role: Role; created_at: number; passkeys: number }>(
        `SELECT p.id, p.publisher_id, p.name, p.role, p.created_at, (SELECT COUNT(*) FROM person_passkeys k WHERE k.person_id = p.id) AS passkeys
         FROM people p WHERE p.publisher_id = ? AND p.removed_at IS NULL ORDER BY p.created_at, p.id`,
        publisherId,
      )
      .toArray()
      .map((r) => ({
        personId: r.id,
        publisherId: r.publisher_id,
        name: r.name,
        role: r.role,
        createdAt: iso(r.created_at)!,
        passkeys: r.passkeys,
      }));
  }

  private personHolderOf(personId: string): PersonHolder | null {
    const row = this.sql
      .exec<{ id: string; name: string; role: Role; publisher_id: string; publisher_name: string }>(
        `SELECT p.id, p.name, p.role, p.publisher_id, u.name AS publisher_name FROM people p JOIN publishers u ON u.id = p.publisher_id
         WHERE p.id = ? AND p.removed_at IS NULL`,
        personId,
      )
      .toArray()[0];
    if (!row) return null;
    return {
      personId: row.id,
      personName: row.name,
      role: row.role,
      publisherId: row.publisher_id,
      publisherName: row.publisher_name,
      hosts: this.hostsOf(row.publisher_id),
    };
  }

  private openInviteRow(digest: string, now: number) {
    return (
      this.sql
        .exec<{ id: string; publisher_id: string; publisher_name: string; name: string; role: Role; expires_at: number }>(
          `SELECT i.id, i.publisher_id, u.name AS publisher_name, i.name, i.role, i.expires_at FROM invites i JOIN publishers u ON u.id = i.publisher_id
         WHERE i.digest = ? AND i.used_at IS NULL AND i.revoked_at IS NULL AND i.expires_at > ?`,
          digest,
          now,
        )
        .toArray()[0] ?? null
    );
  }

  /** Each console challenge counts once; expired ones are forgotten (their cookies no longer open). */
  private insertPasskey(personId: string, k: PersonPasskey & { backedUp: boolean }, now: number): void {
    this.sql.exec(
      'INSERT INTO person_passkeys (id, person_id, public_key, counter, transports, backed_up, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
      k.id,
      personId,
      k.publicKey,
      k.counter,
      JSON.stringify(k.transports),
      k.backedUp ? 1 : 0,
      now,
    );
  }

  private consumeChallenge(challenge: string, expiresAt: number, now: number): boolean {
    this.sql.exec('DELETE FROM console_challenges WHERE expires_at <= ?', now);
    if (this.sql.exec('SELECT 1 FROM console_challenges WHERE challenge = ?', challenge).toArray().length) return false;
    this.sql.exec('INSERT INTO console_challenges (challenge, expires_at) VALUES (?, ?)', challenge, expiresAt);
    return true;
  }

  private insertKey(publisherId: string, key: NewKey, now: number): void {
    this.sql.exec(
      'INSERT INTO api_keys (id, publisher_id, name, digest, created_at) VALUES (?, ?, ?, ?, ?)',
      key.keyId,
      publisherId,
      key.name,
      key.digest,
      now,
    );
  }

  private exists(publisherId: string): boolean {
    return this.sql.exec('SELECT 1 FROM publishers WHERE id = ?', publisherId).toArray().length > 0;
  }

  private hostsOf(publisherId: string): string[] {
    return this.sql
      .exec<{ host: string }>('SELECT host FROM publisher_hosts WHERE publisher_id = ? ORDER BY host', publisherId)
      .toArray()
      .map((r) => r.host);
  }

  private ownerOf(hosts: string[]): string | null {
    for (const host of hosts) if (this.sql.exec('SELECT 1 FROM publisher_hosts WHERE host = ?', host).toArray().length) return host;
    return null;
  }
}

type InviteRow = {
  id: string;
  name: string;
  role: Role;
  created_at: number;
  expires_at: number;
  used_at: number | null;
  revoked_at: number | null;
};

function inviteInfo(r: InviteRow): InviteInfo {
  return {
    inviteId: r.id,
    name: r.name,
    role: r.role,
    createdAt: iso(r.created_at)!,
    expiresAt: iso(r.expires_at)!,
    usedAt: iso(r.used_at),
    revokedAt: iso(r.revoked_at),
  };
}

/** A claim as the API shows it, with when it ends. */
function claimInfo(r: { host: string; token: string; created_at: number }): HostClaim {
  return { host: r.host, token: r.token, createdAt: iso(r.created_at)!, expiresAt: iso(r.created_at + CLAIM_LIFETIME_MS)! };
}

function keyInfo(row: KeyRow): ApiKeyInfo {
  return {
    keyId: row.id,
    name: row.name,
    createdAt: iso(row.created_at)!,
    lastUsedAt: iso(row.last_used_at),
    revokedAt: iso(row.revoked_at),
  };
}
