import type { Context } from 'hono';
import type { AppEnv } from '../http/app-types';
import { issuesOf, type Issue } from '../http/json-errors';
import { siteSchema, type Site } from '../rules/site-schema';
import { dropCachedSite, putCachedSite } from '../rules/site-store';
import { lastGoodSiteKey, siteKey } from '../storage/kv-keys';
import { recordChange } from './audit-stub';

/** The whole document checked, for the site of `host`: every issue, or a site that may be written. */
export function checkSite(body: unknown, host: string): { ok: true; site: Site } | { ok: false; issues: Issue[] } {
  const result = siteSchema.safeParse(body);
  const issues = result.success ? [] : issuesOf(result.error);
  const named = result.success ? result.data.host : (body as { host?: unknown } | null)?.host;
  if (named !== host && !issues.some((i) => i.path === 'host'))
    issues.push({ path: 'host', message: `must be ${host}, the host in the URL` });
  return result.success && issues.length === 0 ? { ok: true, site: result.data } : { ok: false, issues };
}

/**
 * The one way the API and the console write a site: KV, the last good copy, this
 * isolate's cache (so the next request here already uses it), then the audit entry
 * with the document KV held before.
 */
export async function saveSite(c: Context<AppEnv>, site: Site): Promise<void> {
  const text = JSON.stringify(site);
  const before = await c.env.KV.get(siteKey(site.host));
  await c.env.KV.put(siteKey(site.host), text);
  await c.env.KV.put(lastGoodSiteKey(site.host), text);
  putCachedSite(site, text);
  await recordChange(c, { action: 'site.put', host: site.host, before, after: text });
}

export async function deleteSite(c: Context<AppEnv>, host: string): Promise<void> {
  const before = await c.env.KV.get(siteKey(host));
  await Promise.all([c.env.KV.delete(siteKey(host)), c.env.KV.delete(lastGoodSiteKey(host))]);
  dropCachedSite(host);
  await recordChange(c, { action: 'site.delete', host, before, after: null });
}
