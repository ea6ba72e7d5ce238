import type { Context } from 'hono';
import type { AppEnv } from '../http/app-types';
import { normalizePath } from '../paywall/normalize-path';
import { getSiteRules } from '../rules/site-store';

/**
 * What a view of `path` on this request's site costs, as the view handler would price
 * it (same site resolution, same normalisation, same rules); null when unknown. The
 * account page shows it on its "Pay and read" button.
 */
export async function priceOfPath(c: Context<AppEnv>, pathAndQuery: string, host = new URL(c.req.url).hostname): Promise<number | null> {
  const waitUntil = (p: Promise<unknown>) => c.executionCtx.waitUntil(p);
  let rules = await getSiteRules(c.env, host, waitUntil);
  if (rules === null && c.env.DEFAULT_SITE) rules = await getSiteRules(c.env, c.env.DEFAULT_SITE, waitUntil);
  if (rules === null || rules === 'unavailable') return null;
  const normalized = normalizePath(new URL(pathAndQuery, 'http://x').pathname);
  if (!normalized.ok) return null;
  return rules.match(normalized.path)?.rule.priceMicros ?? 0;
}
