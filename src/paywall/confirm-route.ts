import { Hono, type Context } from 'hono';
import { formBodyLimit } from '../pages/page-headers';
import { csrf } from 'hono/csrf';
import type { AppEnv } from '../http/app-types';
import { hostKindOf } from '../http/hosts';
import { AppError } from '../http/app-error';
import { safeReturnPath } from '../reader/return-path';
import { payerOfView } from '../reader/view-reader';
import { getSiteRules } from '../rules/site-store';
import { walletOf } from '../wallet/wallet-stub';
import { servablePath } from './normalize-path';

/** The query parameter that carries a one-click confirmation to the view it was made for. */
export const CONFIRM_PARAM = 'paywall_confirm';

/**
 * `POST /__paywall/confirm` (form field `path`), on a publisher host: the one click on the
 * paywall page that asks before a view above the reader's ask-before-paying threshold.
 * The reader's wallet makes a confirmation for exactly this host and path, good once and
 * for a minute, and the browser is sent to the article with it; the view handler hands it
 * to the wallet, which uses it up as it reserves the price. So the click pays that
 * article once: a reload, another tab or another path is asked again (a re-view window,
 * where the rule has one, covers a reload free as ever). csrf(): only this site's own page
 * can post it, so no other site can make a reader confirm.
 */
export const confirmRoutes = new Hono<AppEnv>()
  .use(csrf())
  .use(formBodyLimit(8 * 1024))
  .post('/', async (c) => {
    if (hostKindOf(c.env, c.req.url) !== 'publisher') throw new AppError('not_found', 'No such paywall endpoint.');
    const form = await c.req.parseBody();
    const raw = typeof form.path === 'string' ? form.path : '';
    const back = safeReturnPath(raw);
    if (!back) throw new AppError('invalid_request', 'path: a path of this site is required.', { field: 'path' });
    const target = new URL(back, c.req.url);
    target.searchParams.delete(CONFIRM_PARAM);
    const path = servablePath(target.pathname);
    const host = await siteHostOf(c);
    const payer = await payerOfView(c);
    // No reader (or a bearer client, which has its own ceiling): the article answers for itself.
    if (host !== null && payer.readerId && c.req.header('authorization') === undefined) {
      const made = await walletOf(c.env, payer.readerId).confirmView(host, path);
      if (made.ok) target.searchParams.set(CONFIRM_PARAM, made.confirmation);
    }
    c.header('Cache-Control', 'private, no-store');
    return c.redirect(target.pathname + target.search, 303);
  });

/** The site a view on this host is priced by, as the view handler finds it (DEFAULT_SITE as the fallback). */
async function siteHostOf(c: Context<AppEnv>): Promise<string | null> {
  const waitUntil = (p: Promise<unknown>) => c.executionCtx.waitUntil(p);
  const host = new URL(c.req.url).hostname.replace(/\.$/, '');
  if ((await getSiteRules(c.env, host, waitUntil)) !== null) return host;
  if (c.env.DEFAULT_SITE && (await getSiteRules(c.env, c.env.DEFAULT_SITE, waitUntil)) !== null) return c.env.DEFAULT_SITE;
  return null;
}
