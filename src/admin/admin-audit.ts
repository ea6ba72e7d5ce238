import { MigratedObject } from '../storage/migrated-object';
import { auditSchema } from './audit-schema';

import type { AuditActor } from './admin-actor';

export type AuditAction =
  | 'site.put'
  | 'site.delete'
  | 'reader.credit'
  | 'reader.move'
  | 'publisher.create'
  | 'publisher.key.create'
  | 'publisher.key.revoke'
  | 'publisher.payout'
  | 'reader.lookup'
  | 'crawler.link'
  | 'crawler.unlink'
  | 'publisher.invite.create'
  | 'publisher.person.join'
  | 'publisher.host.claim'
  | 'publisher.host.verify'
  | 'publisher.person.remove'
  | 'publisher.invite.revoke'
  | 'publisher.passkey.add'
  | 'publisher.passkey.remove';
/** Small facts about a change beside its documents, e.g. a credit's amount and reason. */
export type AuditDetail = Record<string, string | number | null>;

export type AuditRecord = {
  via: 'api' | 'console';
  sessionId?: string;
  client?: string;
  actor?: AuditActor;
  /** The publisher the change belongs to, when it is not a site's (its records and keys). */
  publisherId?: string;
  action: AuditAction;
  host?: string;
  readerId?: string;
  /** Texts as they were stored: a site document from KV (possibly invalid), or a JSON value. */
  before: string | null;
  after: string | null;
  detail?: AuditDetail;
};

export type AuditEntry = {
  id: number;
  at: string;
  via: 'api' | 'console';
  sessionId: string | null;
  client: string | null;
  /** Who: null on entries written before the actor was recorded (all the operator's). */
  actor: AuditActor | null;
  action: AuditAction;
  host: string | null;
  readerId: string | null;
  publisherId: string | null;
  /** The text, or null when there was none; `omitted` when it is too large to list (read the entry by id). */
  before: string | null | { omitted: true; bytes: number };
  after: string | null | { omitted: true; bytes: number };
  detail: AuditDetail | null;
};

/** Documents larger than this are left out of listings. */
const LIST_INLINE_BYTES = 256 * 1024;
/** SQLite in a Durable Object holds at most 2 MB in one value; compressed documents are split below that. */
const CHUNK_BYTES = 1024 * 1024;

type EntryRow = {
  id: number;
  at: number;
  via: 'api' | 'console';
  session: string | null;
  client: string | null;
  action: AuditAction;
  host: string | null;
  reader: string | null;
  before_hash: string | null;
  after_hash: string | null;
  detail: string | null;
  actor: string | null;
  publisher: string | null;
};

/** What a listing may show: everything (the operator), or a publisher's hosts and its own records. */
export type AuditScope = { hosts: string[]; publisherId: string };

/**
 * The admin audit trail: one SQLite Durable Object for the whole deployment. Entries are
 * appended in one transaction each, numbered by SQLite, so concurrent changes can neither
 * overwrite nor lose one another (KV, last writer wins, could). Admin changes are rare,
 * so one object is no bottleneck. Documents are stored once per content (a change's
 * "after" is the next one's "before"), gzipped, split under SQLite's value limit.
 */
export class AdminAudit extends MigratedObject {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env, auditSchema);
  }

  async record(entry: AuditRecord): Promise<{ ok: true; id: number }> {
    const docs = await Promise.all([entry.before, entry.after].map((t) => (t === null ? null : packDocument(t))));
    const id = this.ctx.storage.transactionSync(() => {
      for (const doc of docs) {
        if (!doc) continue;
        for (const [seq, chunk] of doc.chunks.entries()) {
          this.sql.exec('INSERT OR IGNORE INTO documents (hash, seq, bytes, chunk) VALUES (?, ?, ?, ?)', doc.hash, seq, doc.bytes, chunk);
        }
      }
      return this.sql
        .exec<{ id: number }>(
          `INSERT INTO entries (at, via, session, client, action, host, reader, before_hash, after_hash, detail, actor, publisher)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
          Date.now(),
          entry.via,
          entry.sessionId ?? null,
          entry.client ?? null,
          entry.action,
          entry.host ?? null,
          entry.readerId ?? null,
          docs[0]?.hash ?? null,
          docs[1]?.hash ?? null,
          entry.detail ? JSON.stringify(entry.detail) : null,
          entry.actor ? JSON.stringify(entry.actor) : null,
          entry.publisherId ?? null,
        )
        .one().id;
    });
    return { ok: true, id };
  }

  /** Newest first; `before` is the id to continue below. */
  async list(query: {
    host?: string;
    limit: number;
    before?: number;
    scope?: AuditScope;
  }): Promise<{ entries: AuditEntry[]; nextBefore: number | null }> {
    const before = query.before ?? Number.MAX_SAFE_INTEGER;
    const where = ['id < ?'];
    const params: SqlStorageValue[] = [before];
    if (query.host !== undefined) {
      where.push('host = ?');
      params.push(query.host);
    }
    if (query.scope) {
      where.push(`(host IN (${query.scope.hosts.map(() => '?').join(', ')}) OR publisher = ?)`);
      params.push(...query.scope.hosts, query.scope.publisherId);
    }
    const rows = this.sql
      .exec<EntryRow>(`SELECT * FROM entries WHERE ${where.join(' AND ')} ORDER BY id DESC LIMIT ?`, ...params, query.limit + 1)
      .toArray();
    const more = rows.length > query.limit;
    const page = rows.slice(0, query.limit);
    const entries = await Promise.all(page.map((row) => this.toEntry(row, LIST_INLINE_BYTES)));
    return { entries, nextBefore: more ? page[page.length - 1]!.id : null };
  }

  async get(id: number): Promise<AuditEntry | null> {
    const row = this.sql.exec<EntryRow>('SELECT * FROM entries WHERE id = ?', id).toArray()[0];
    return row ? this.toEntry(row, Infinity) : null;
  }

  private async toEntry(row: EntryRow, inlineBytes: number): Promise<AuditEntry> {
    return {
      id: row.id,
      at: new Date(row.at).toISOString(),
      via: row.via,
      sessionId: row.session,
      client: row.client,
      actor: row.actor === null ? null : JSON.parse(row.actor),
      action: row.action,
      host: row.host,
      readerId: row.reader,
      publisherId: row.publisher,
      before: await this.document(row.before_hash, inlineBytes),
      after: await this.document(row.after_hash, inlineBytes),
      detail: row.detail === null ? null : JSON.parse(row.detail),
    };
  }

  private async document(hash: string | null, inlineBytes: number): Promise<AuditEntry['before']> {
    if (hash === null) return null;
    const chunks = this.sql
      .exec<{ bytes: number; chunk: ArrayBuffer }>('SELECT bytes, chunk FROM documents WHERE hash = ? ORDER BY seq', hash)
      .toArray();
    const bytes = chunks[0]?.bytes ?? 0;
    if (bytes > inlineBytes) return { omitted: true, bytes };
    const gz = new Blob(chunks.map((c) => c.chunk));
    return new Response(gz.stream().pipeThrough(new DecompressionStream('gzip'))).text();
  }
}

async function packDocument(text: string): Promise<{ hash: string; bytes: number; chunks: ArrayBuffer[] }> {
  const raw = new TextEncoder().encode(text);
  const hash = [...new Uint8Array(await crypto.subtle.digest('SHA-256', raw))].map((b) => b.toString(16).padStart(2, '0')).join('');
  const gz = await new Response(new Blob([raw]).stream().pipeThrough(new CompressionStream('gzip'))).arrayBuffer();
  const chunks: ArrayBuffer[] = [];
  for (let at = 0; at < gz.byteLength || at === 0; at += CHUNK_BYTES) chunks.push(gz.slice(at, at + CHUNK_BYTES));
  return { hash, bytes: raw.byteLength, chunks };
}
