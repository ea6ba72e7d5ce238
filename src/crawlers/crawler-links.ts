import { crawlerDirectoryLinkKey, crawlerKeyLinkKey, readerCrawlerLinkKey, readerCrawlerLinksPrefix } from '../storage/kv-keys';

/**
 * Which wallet pays for a crawler. A reader (or the operator) links either one public
 * key (an Ed25519 JWK, found again by its RFC 7638 thumbprint, the `keyid` the crawler
 * signs with) or a key directory (the crawler's `Signature-Agent`, every key of which
 * then pays from that wallet).
 *
 * Links live in KV: they are read on every signed view and written rarely, which is what
 * KV is for. KV is eventually consistent, so a new link or an unlink reaches every
 * location within about 60 seconds (reads are cached that long); first link wins, and
 * two readers linking the same key in the same second may both be told yes, the later
 * write winning. Three keys per link: by keyid or directory (the lookup on a view), and
 * under the reader (the list on their page).
 */
export type CrawlerLink = {
  id: string;
  readerId: string;
  label: string;
  linkedAt: string;
  linkedBy: 'reader' | 'operator';
} & ({ kind: 'key'; keyid: string; jwk: Ed25519PublicJwk } | { kind: 'directory'; directory: string });

export type Ed25519PublicJwk = { kty: 'OKP'; crv: 'Ed25519'; x: string };

/** A link's lookup key: by keyid or by directory URL. */
function lookupKey(link: CrawlerLink): string {
  return link.kind === 'key' ? crawlerKeyLinkKey(link.keyid) : crawlerDirectoryLinkKey(link.directory);
}

const LOOKUP_CACHE_SECONDS = 60;

export async function linkForKeyid(kv: KVNamespace, keyid: string): Promise<CrawlerLink | null> {
  return kv.get<CrawlerLink>(crawlerKeyLinkKey(keyid), { type: 'json', cacheTtl: LOOKUP_CACHE_SECONDS });
}

export async function linkForDirectory(kv: KVNamespace, directory: string): Promise<CrawlerLink | null> {
  return kv.get<CrawlerLink>(crawlerDirectoryLinkKey(directory), { type: 'json', cacheTtl: LOOKUP_CACHE_SECONDS });
}

export type SaveLink = { ok: true; link: CrawlerLink; created: boolean } | { ok: false; reason: 'taken' };

/** Links a key or directory to a reader; linking it again to the same reader is a no-op, to another is refused. */
export async function saveLink(kv: KVNamespace, link: CrawlerLink): Promise<SaveLink> {
  const existing = await kv.get<CrawlerLink>(lookupKey(link), 'json');
  if (existing) return existing.readerId === link.readerId ? { ok: true, link: existing, created: false } : { ok: false, reason: 'taken' };
  await kv.put(readerCrawlerLinkKey(link.readerId, link.id), JSON.stringify(link));
  await kv.put(lookupKey(link), JSON.stringify(link));
  return { ok: true, link, created: true };
}

export async function linksOf(kv: KVNamespace, readerId: string): Promise<CrawlerLink[]> {
  const links: CrawlerLink[] = [];
  let cursor: string | undefined;
  do {
    const page = await kv.list({ prefix: readerCrawlerLinksPrefix(readerId), ...(cursor ? { cursor } : {}) });
    const values = await Promise.all(page.keys.map((k) => kv.get<CrawlerLink>(k.name, 'json')));
    for (const v of values) if (v) links.push(v);
    cursor = page.list_complete ? undefined : page.cursor;
  } while (cursor);
  return links.sort((a, b) => a.linkedAt.localeCompare(b.linkedAt));
}

export async function linkById(kv: KVNamespace, readerId: string, id: string): Promise<CrawlerLink | null> {
  return kv.get<CrawlerLink>(readerCrawlerLinkKey(readerId, id), 'json');
}

/** Removes a link; the lookup key only if it still names this reader (a later owner keeps theirs). */
export async function removeLink(kv: KVNamespace, link: CrawlerLink): Promise<void> {
  const current = await kv.get<CrawlerLink>(lookupKey(link), 'json');
  if (current?.readerId === link.readerId) await kv.delete(lookupKey(link));
  await kv.delete(readerCrawlerLinkKey(link.readerId, link.id));
}
