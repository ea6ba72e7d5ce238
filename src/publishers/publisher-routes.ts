import { Hono, type Context } from 'hono';
import { AppError } from '../http/app-error';
import { z } from 'zod';
import { recordChange } from '../admin/audit-stub';
import { HOST } from '../admin/site-routes';
import type { AppEnv } from '../http/app-types';
import { validated } from '../http/json-errors';
import { apiKeyDigest, newApiKey, randomId } from './api-key';
import { publisherRegistry } from './publisher-stub';

export const PUBLISHER_ID = /^pub_[A-Za-z0-9_-]{16}$/;
const KEY_ID = /^key_[A-Za-z0-9_-]{16}$/;
export const MAX_HOSTS = 100;

const name = z
  .string({ error: 'is required, as a string' })
  .trim()
  .min(1, { error: 'must not be empty' })
  .max(200, { error: 'must be at most 200 characters' });
const host = z
  .string({ error: 'must be a host name' })
  .regex(HOST, { error: 'must be a lower-case host name, with :port if not the default' });

export const newPublisher = z.strictObject({
  name,
  hosts: z
    .array(host, { error: 'is required, as an array of host names' })
    .min(1, { error: 'must name at least one host' })
    .max(MAX_HOSTS, { error: `must name at most ${MAX_HOSTS} hosts` })
    .superRefine((hosts, ctx) => {
      hosts.forEach((h, i) => {
        if (hosts.indexOf(h) !== i) ctx.addIssue({ code: 'custom', path: [i], message: 'is named twice' });
      });
    }),
});

async function newKey(keyName: string) {
  const apiKey = newApiKey();
  return { apiKey, key: { keyId: randomId('key_'), name: keyName, digest: await apiKeyDigest(apiKey) } };
}

/**
 * Publishers and their API keys (the scope of each call is checked by admin-scope.ts
 * before these run). A key is shown once, when it is made; only its digest is kept.
 */
export type CreatedPublisher = { publisherId: string; apiKey: string; keyId: string };

/** A host that cannot be the new publisher's: `field` is `hosts.<index>`, the message `<field>: <why>`. */
const hostRefused = (code: 'invalid_request' | 'host_taken', at: number, why: string) =>
  new AppError(code, `hosts.${at}: ${why}`, { field: `hosts.${at}` });

/**
 * The operator makes a publisher with its hosts (no claim needed: the operator vouches) and
 * its first key; the API and the console both. A host it cannot have is an AppError.
 */
export async function createPublisher(c: Context<AppEnv>, name: string, hosts: string[]): Promise<CreatedPublisher> {
  const adminHost = (c.env.ADMIN_HOST ?? '').toLowerCase().replace(/:\d*$/, '');
  const adminAt = hosts.findIndex((h) => h.replace(/:\d*$/, '') === adminHost);
  if (adminAt >= 0) throw hostRefused('invalid_request', adminAt, 'is the admin host');
  const publisherId = randomId('pub_');
  const { apiKey, key } = await newKey('first key');
  const created = await publisherRegistry(c.env).createPublisher({ publisherId, name, hosts, key });
  if (!created.ok) throw hostRefused('host_taken', hosts.indexOf(created.host), `${created.host} belongs to another publisher`);
  await recordChange(c, {
    action: 'publisher.create',
    publisherId,
    before: null,
    after: JSON.stringify({ publisherId, name, hosts, keyId: key.keyId }),
  });
  return { publisherId, apiKey, keyId: key.keyId };
}

export const publisherNotFound = () => new AppError('publisher_not_found', 'No publisher with this id.');

export const publisherRoutes = new Hono<AppEnv>()
  .post('/publishers', validated('json', newPublisher), async (c) => {
    const { name, hosts } = c.req.valid('json');
    const made = await createPublisher(c, name, hosts);
    return c.json({ publisherId: made.publisherId, apiKey: made.apiKey, keyId: made.keyId }, 201);
  })
  .get('/publishers', async (c) => c.json({ publishers: await publisherRegistry(c.env).list() }))
  .get('/publishers/:publisherId', async (c) => {
    const publisher = PUBLISHER_ID.test(c.req.param('publisherId')) ? await publisherRegistry(c.env).get(c.req.param('publisherId')) : null;
    if (!publisher) throw publisherNotFound();
    return c.json(publisher);
  })
  .get('/publishers/:publisherId/keys', async (c) => {
    const publisher = PUBLISHER_ID.test(c.req.param('publisherId')) ? await publisherRegistry(c.env).get(c.req.param('publisherId')) : null;
    if (!publisher) throw publisherNotFound();
    return c.json({ keys: publisher.keys });
  })
  .post('/publishers/:publisherId/keys', validated('json', z.strictObject({ name })), async (c) => {
    const publisherId = c.req.param('publisherId');
    if (!PUBLISHER_ID.test(publisherId)) throw publisherNotFound();
    const { apiKey, key } = await newKey(c.req.valid('json').name);
    const added = await publisherRegistry(c.env).addKey(publisherId, key);
    if (!added.ok) throw publisherNotFound();
    await recordChange(c, { action: 'publisher.key.create', publisherId, before: null, after: JSON.stringify(added.key) });
    return c.json({ ...added.key, apiKey }, 201);
  })
  .delete('/publishers/:publisherId/keys/:keyId', async (c) => {
    const { publisherId, keyId } = c.req.param();
    const revoked =
      PUBLISHER_ID.test(publisherId) && KEY_ID.test(keyId) ? await publisherRegistry(c.env).revokeKey(publisherId, keyId) : null;
    if (!revoked?.ok) throw new AppError('key_not_found', 'This publisher has no key with this id.');
    await recordChange(c, { action: 'publisher.key.revoke', publisherId, before: null, after: JSON.stringify(revoked.key) });
    return c.json(revoked.key);
  });
