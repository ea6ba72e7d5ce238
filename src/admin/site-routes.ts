import { Hono } from 'hono';
import type { AppEnv } from '../http/app-types';
import { issuesOf, jsonError } from '../http/json-errors';
import { siteSchema } from '../rules/site-schema';
import { dropCachedSite, lastGoodKey, putCachedSite, siteKey } from '../rules/site-store';

export const HOST = /^[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:\d{1,5})?$/;

export const siteRoutes = new Hono<AppEnv>()
  .use('/sites/:host', async (c, next) => {
    if (!HOST.test(c.req.param('host'))) return jsonError(c, 400, 'invalid_host', 'The host must be a lower-case host name.');
    await next();
  })
  .get('/sites/:host', async (c) => {
    const text = await c.env.KV.get(siteKey(c.req.param('host')));
    if (text === null) return jsonError(c, 404, 'not_found', 'No site for this host.');
    return c.body(text, 200, { 'content-type': 'application/json' });
  })
  .put('/sites/:host', async (c) => {
    const host = c.req.param('host');
    let body: unknown;
    try {
      body = await c.req.json();
    } catch {
      return c.json({ error: 'invalid_site', message: 'The body must be a JSON site document.', issues: [{ path: '', message: 'not JSON' }] }, 400);
    }
    const result = siteSchema.safeParse(body);
    const issues = result.success ? [] : issuesOf(result.error);
    if (result.success && result.data.host !== host) issues.push({ path: 'host', message: `must be ${host}, the host in the URL` });
    if (!result.success || issues.length > 0) {
      return c.json({ error: 'invalid_site', message: 'The site document is not valid; nothing was written.', issues }, 400);
    }
    const text = JSON.stringify(result.data);
    await c.env.KV.put(siteKey(host), text);
    await c.env.KV.put(lastGoodKey(host), text);
    putCachedSite(result.data, text);
    return c.json(result.data);
  })
  .delete('/sites/:host', async (c) => {
    const host = c.req.param('host');
    await Promise.all([c.env.KV.delete(siteKey(host)), c.env.KV.delete(lastGoodKey(host))]);
    dropCachedSite(host);
    return c.body(null, 204);
  });
