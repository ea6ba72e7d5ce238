import { Hono } from 'hono';
import { AppError } from '../http/app-error';
import { createMiddleware } from 'hono/factory';
import { hostKindOf } from '../http/hosts';
import type { AppEnv } from '../http/app-types';
import { originSecretFor } from '../paywall/origin-secret';
import { siteKey } from '../storage/kv-keys';
import { checkSite, deleteSite, saveSite } from './site-writes';

export const HOST = /^[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:\d{1,5})?$/;

const validHost = createMiddleware<AppEnv>(async (c, next) => {
  if (!HOST.test(c.req.param('host') ?? '')) throw new AppError('invalid_host', 'The host must be a lower-case host name.');
  await next();
});

export const siteRoutes = new Hono<AppEnv>()
  .use('/sites/:host', validHost)
  .use('/sites/:host/*', validHost)
  /** What this site's origin must see in `Paywall-Origin-Secret` to know a request came through the paywall. */
  .get('/sites/:host/origin-secret', async (c) => {
    const value = originSecretFor(c.env, c.req.param('host'));
    if (!value) throw new AppError('origin_secret_not_set', 'ORIGIN_SECRET is not set on this worker, so origins are sent no secret.');
    return c.json({ host: c.req.param('host'), header: 'Paywall-Origin-Secret', value: await value });
  })
  .get('/sites/:host', async (c) => {
    const text = await c.env.KV.get(siteKey(c.req.param('host')));
    if (text === null) throw new AppError('not_found', 'No site for this host.');
    return c.body(text, 200, { 'content-type': 'application/json' });
  })
  .put('/sites/:host', async (c) => {
    const host = c.req.param('host');
    if (hostKindOf(c.env, `http://${host}/`) !== 'publisher') {
      const issues = [{ path: 'host', message: 'the wallet host and the admin host serve no publisher content' }];
      throw new AppError('invalid_site', 'This host cannot have a site.', { issues });
    }
    let body: unknown;
    try {
      body = await c.req.json();
    } catch {
      throw new AppError('invalid_site', 'The body must be a JSON site document.', { issues: [{ path: '', message: 'not JSON' }] });
    }
    const checked = checkSite(body, host);
    if (!checked.ok) throw new AppError('invalid_site', 'The site document is not valid; nothing was written.', { issues: checked.issues });
    await saveSite(c, checked.site);
    return c.json(checked.site);
  })
  .delete('/sites/:host', async (c) => {
    await deleteSite(c, c.req.param('host'));
    return c.body(null, 204);
  });
