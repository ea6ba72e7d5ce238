import type { Context } from 'hono';
import type { AppEnv } from '../http/app-types';
import { hostKindOf } from '../http/hosts';
import { getSiteRules } from '../rules/site-store';
import { safeReturnPath } from '../reader/return-path';

const HOST_NAME = /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/;

/** A publisher host as a connect step names it: a plain lower-case host name that is neither the wallet nor the admin host. */
export function publisherHostParam(env: Env, raw: string | undefined): string | null {
  if (!raw || !HOST_NAME.test(raw)) return null;
  return hostKindOf(env, `http://${raw}/`) === 'publisher' ? raw : null;
}

/** The wallet host's connect step for a publisher and the path to go back to there. */
export function connectPath(site: string, returnPath: string): string {
  return `/__paywall/connect?${new URLSearchParams({ site, return: returnPath })}`;
}

/**
 * Where a reader goes on the wallet host after signing in: only ever a connect step
 * (whose site and return path are checked again there), so the parameter cannot send
 * anyone off the wallet host or into another of its forms.
 */
export function safeNext(env: Env, raw: string | null | undefined): string | null {
  if (!raw || raw.length > 2400 || !raw.startsWith('/__paywall/connect?')) return null;
  const params = new URLSearchParams(raw.slice('/__paywall/connect?'.length));
  const site = publisherHostParam(env, params.get('site') ?? undefined);
  const back = safeReturnPath(params.get('return'));
  if (!site || !back || [...params.keys()].some((k) => k !== 'site' && k !== 'return')) return null;
  return connectPath(site, back);
}

/**
 * Whether this worker serves `site`: it has a site document, or it is a loopback name
 * served by DEFAULT_SITE where that is set (the demo's 127.0.0.1). No other name is, so a
 * connect code is never sent to a host we do not serve.
 */
export async function siteServed(c: Context<AppEnv>, site: string): Promise<boolean> {
  const waitUntil = (p: Promise<unknown>) => c.executionCtx.waitUntil(p);
  if ((await getSiteRules(c.env, site, waitUntil)) !== null) return true;
  const loopback = site === 'localhost' || site.endsWith('.localhost') || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(site);
  return loopback && Boolean(c.env.DEFAULT_SITE) && (await getSiteRules(c.env, c.env.DEFAULT_SITE!, waitUntil)) !== null;
}
