import { lastGoodSiteKey, siteKey } from '../storage/kv-keys';
import { CompiledRules } from './compile-rules';
import { siteSchema, type Site } from './site-schema';


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

const cache = new Map<string, Entry>();

/**
 * The compiled rules of a host's site, or null when it has none. Warm requests never
 * wait on KV: a stale entry is served while a refresh runs in `waitUntil`.
 */
export async function getSiteRules(
  env: Env,
  host: string,
  waitUntil: (p: Promise<unknown>) => void,
): Promise<SiteRules> {
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
    console.error(`site:${host} is not JSON; keeping the last good version`, String(e));
    return null;
  }
  const result = siteSchema.safeParse(json);
  if (!result.success) {
    console.error(`site:${host} failed validation; keeping the last good version`, JSON.stringify(result.error.issues));
    return null;
  }
  if (result.data.host !== host) {
    console.error(`site:${host} names host ${result.data.host}; keeping the last good version`);
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
