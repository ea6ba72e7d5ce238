import { lastGoodSiteKey, siteKey } from '../storage/kv-keys';
import { CompiledRules } from './compile-rules';
import { siteSchema, type Site } from './site-schema';
import { log } from '../http/log';

/** How long an isolate serves its copy before looking at KV again (in the background). */
const FRESH_MS = 20_000;
/** KV's own edge cache; together with FRESH_MS a change is seen within 60 s. */
const KV_CACHE_TTL_S = 30;

/** null: no such site. 'unavailable': only a broken document, and no good one to fall back on. */
export type SiteRules = CompiledRules | null | 'unavailable';

type Entry = {
  rules: SiteRules;
  text: string | null;
  loadedAt: number;
  refreshing?: Promise<void>;
};

/**
 * Hosts with a site document kept per isolate, least recently used dropped first. An
 * entry is the document's text and its compiled rules: a few KB for a site of tens of
 * rules, so 1,000 of them stay within a few tens of MB of the isolate's 128 MB, and a
 * deployment routes far fewer publisher hosts than that. Past it, a host costs one
 * (edge-cached) KV read on its next view, never a wrong price.
 */
export const MAX_CACHED_SITES = 1000;
/**
 * Hosts with no site, remembered apart from the sites so that a client sending a new
 * `Host` on every request (junk names on a wildcard route) can neither grow the isolate's
 * memory nor push the real sites out. An entry is a few bytes; 1,000 cover any honest
 * mistyped or stale names, and a flood only costs its own KV reads.
 */
export const MAX_CACHED_NO_SITE_HOSTS = 1000;

/** A Map that keeps at most `max` keys, dropping the least recently used. */
class Lru<V> {
  private readonly map = new Map<string, V>();
  constructor(private readonly max: number) {}
  get size(): number {
    return this.map.size;
  }
  get(key: string): V | undefined {
    const value = this.map.get(key);
    if (value !== undefined) {
      // Map keeps insertion order: moving a key to the end makes the first the least recent.
      this.map.delete(key);
      this.map.set(key, value);
    }
    return value;
  }
  set(key: string, value: V): void {
    this.map.delete(key);
    this.map.set(key, value);
    while (this.map.size > this.max) this.map.delete(this.map.keys().next().value!);
  }
  delete(key: string): void {
    this.map.delete(key);
  }
}

const sites = new Lru<Entry>(MAX_CACHED_SITES);
const noSite = new Lru<Entry>(MAX_CACHED_NO_SITE_HOSTS);

/** How many hosts this isolate remembers, for tests. */
export function siteCacheSize(): { sites: number; noSite: number } {
  return { sites: sites.size, noSite: noSite.size };
}

const cache = {
  get(host: string): Entry | undefined {
    return sites.get(host) ?? noSite.get(host);
  },
  set(host: string, entry: Entry): void {
    if (entry.rules === null) {
      sites.delete(host);
      noSite.set(host, entry);
    } else {
      noSite.delete(host);
      sites.set(host, entry);
    }
  },
  delete(host: string): void {
    sites.delete(host);
    noSite.delete(host);
  },
};

/**
 * The compiled rules of a host's site, or null when it has none. Warm requests never
 * wait on KV: a stale entry is served while a refresh runs in `waitUntil`.
 */
export async function getSiteRules(env: Env, host: string, waitUntil: (p: Promise<unknown>) => void): Promise<SiteRules> {
  const entry = cache.get(host);
  if (entry) {
    if (Date.now() - entry.loadedAt > FRESH_MS && !entry.refreshing) {
      entry.refreshing = refresh(env, host).finally(() => {
        entry.refreshing = undefined;
      });
      waitUntil(entry.refreshing);
    }
    return entry.rules;
  }
  await refresh(env, host);
  return cache.get(host)?.rules ?? null;
}

async function refresh(env: Env, host: string): Promise<void> {
  const previous = cache.get(host);
  const text = await env.KV.get(siteKey(host), { cacheTtl: KV_CACHE_TTL_S });
  if (text === null) {
    cache.set(host, { rules: null, text: null, loadedAt: Date.now() });
    return;
  }
  if (previous && previous.text === text) {
    previous.loadedAt = Date.now();
    return;
  }
  const site = parseSite(text, host);
  if (site) {
    cache.set(host, { rules: new CompiledRules(site), text, loadedAt: Date.now() });
    return;
  }
  // Broken document: keep serving the last good version, from this isolate or from KV.
  if (previous?.rules instanceof CompiledRules) {
    previous.loadedAt = Date.now();
    return;
  }
  const backup = await env.KV.get(lastGoodSiteKey(host));
  const backupSite = backup === null ? null : parseSite(backup, host);
  cache.set(host, {
    rules: backupSite ? new CompiledRules(backupSite) : 'unavailable',
    text: null,
    loadedAt: Date.now(),
  });
}

function parseSite(text: string, host: string): Site | null {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    log('error', 'site_document_rejected', { host, why: 'not JSON; keeping the last good version', detail: String(e) });
    return null;
  }
  const result = siteSchema.safeParse(json);
  if (!result.success) {
    log('error', 'site_document_rejected', { host, why: 'failed validation; keeping the last good version', issues: result.error.issues });
    return null;
  }
  if (result.data.host !== host) {
    log('error', 'site_document_rejected', { host, why: `names host ${result.data.host}; keeping the last good version` });
    return null;
  }
  return result.data;
}

/** Called by the admin API after a write, so the change is in force for this isolate's next request. */
export function putCachedSite(site: Site, text: string): void {
  cache.set(site.host, { rules: new CompiledRules(site), text, loadedAt: Date.now() });
}

export function dropCachedSite(host: string): void {
  cache.delete(host);
}
