import { Hono, type Context } from 'hono';
import { AppError } from '../http/app-error';
import { createMiddleware } from 'hono/factory';
import { z } from 'zod';
import { recordChange } from '../admin/audit-stub';
import type { AppEnv } from '../http/app-types';
import { issuesOf, validated } from '../http/json-errors';
import { walletOwnerOf } from '../reader/authenticate';
import { isReaderId } from '../reader/reader-token';
import { linkById, linkForDirectory, linkForKeyid, linksOf, removeLink, saveLink, type CrawlerLink } from './crawler-links';
import { asEd25519PublicJwk, keyidOf, normaliseAgentUrl } from './key-directory';

/**
 * Linking a crawler to the wallet that pays for it. A reader links with their bearer
 * token (the API a crawler's operator scripts) or signed in on the wallet host (its page,
 * `/__paywall/account/crawlers`); a publisher host's cookie is not accepted, so no page
 * there can link a key behind a reader's back. The operator links for any reader.
 */
export const linkBody = z
  .strictObject({
    jwk: z
      .unknown()
      .optional()
      .superRefine((v, ctx) => {
        if (v === undefined) return;
        if (typeof v === 'object' && v !== null && 'd' in v) {
          ctx.addIssue({
            code: 'custom',
            message: 'is a private key: send only the public key (kty, crv, x), and treat the private one as leaked',
          });
        } else if (!asEd25519PublicJwk(v)) {
          ctx.addIssue({
            code: 'custom',
            message: 'must be an Ed25519 public JWK: {"kty":"OKP","crv":"Ed25519","x":"<43 base64url characters>"}',
          });
        }
      }),
    directory: z
      .string()
      .max(2048)
      .optional()
      .refine((v) => v === undefined || normaliseAgentUrl(v) !== null, {
        message: 'must be the https URL the crawler sends as Signature-Agent',
      }),
    label: z.string().trim().min(1).max(100).optional(),
  })
  .refine((b) => (b.jwk === undefined) !== (b.directory === undefined), {
    message: 'send exactly one of jwk and directory',
    path: ['jwk'],
  });

const adminLinkBody = z.strictObject({ readerId: z.string().refine(isReaderId, { message: 'is not a reader id' }) }).passthrough();

export type LinkInput = z.infer<typeof linkBody>;

export async function newLink(input: LinkInput, readerId: string, linkedBy: CrawlerLink['linkedBy']): Promise<CrawlerLink> {
  const common = { readerId, linkedAt: new Date().toISOString(), linkedBy };
  if (input.jwk !== undefined) {
    const jwk = asEd25519PublicJwk(input.jwk)!;
    const keyid = await keyidOf(jwk);
    return { ...common, id: keyid, kind: 'key', keyid, jwk, label: input.label ?? `key ${keyid.slice(0, 8)}` };
  }
  const directory = normaliseAgentUrl(input.directory!) as string;
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(directory)));
  const id = `dir_${Array.from(digest.slice(0, 12), (b) => b.toString(16).padStart(2, '0')).join('')}`;
  return { ...common, id, kind: 'directory', directory, label: input.label ?? directory };
}

/** Links the key or directory to the wallet (again, if it is this wallet's already); one that pays from another wallet is a 409. */
async function link(c: Context<AppEnv>, input: LinkInput, readerId: string, linkedBy: CrawlerLink['linkedBy']) {
  const saved = await saveLink(c.env.KV, await newLink(input, readerId, linkedBy));
  if (!saved.ok) {
    const field = input.jwk !== undefined ? 'jwk' : 'directory';
    throw new AppError(
      'crawler_key_taken',
      'This key or directory already pays from another wallet; its owner (or the operator) must unlink it first.',
      { field },
    );
  }
  return saved;
}

/**
 * The wallet's owner: the reader token as a bearer (a crawler operator's script), or the
 * reader signed in on the wallet host. A publisher host's cookie, a spend token or a named
 * token never links a key that then pays from the wallet.
 */
const requireCrawlerKeyOwner = createMiddleware<AppEnv>(async (c, next) => {
  const readerId = await walletOwnerOf(c);
  if (!readerId)
    throw new AppError(
      'unauthorized',
      'Linking crawlers needs the reader token as Authorization: Bearer <token>, or signing in on the wallet host.',
    );
  c.set('readerId', readerId);
  await next();
});

/** Mounted at `/__paywall/api/me/crawler-keys`. */
export const readerCrawlerKeyRoutes = new Hono<AppEnv>()
  .use('*', requireCrawlerKeyOwner)
  .get('/', async (c) => c.json({ links: await linksOf(c.env.KV, c.var.readerId) }))
  .post('/', validated('json', linkBody), async (c) => {
    const saved = await link(c, c.req.valid('json'), c.var.readerId, 'reader');
    return c.json(saved.link, saved.created ? 201 : 200);
  })
  .delete('/:id', async (c) => {
    const found = await linkById(c.env.KV, c.var.readerId, c.req.param('id'));
    if (!found) throw new AppError('crawler_link_not_found', 'This reader has no crawler link with this id.');
    await removeLink(c.env.KV, found);
    return c.body(null, 204);
  });

/** Mounted under `/__paywall/api/admin` (behind the admin check). */
export const adminCrawlerKeyRoutes = new Hono<AppEnv>()
  .post('/crawler-keys', validated('json', adminLinkBody), async (c) => {
    const { readerId, ...rest } = c.req.valid('json');
    const parsed = linkBody.safeParse(rest);
    if (!parsed.success) {
      const issues = issuesOf(parsed.error);
      throw new AppError('invalid_request', `${issues[0]!.path || '(body)'} ${issues[0]!.message}`, {
        field: issues[0]!.path,
        issues,
      });
    }
    const saved = await link(c, parsed.data, readerId, 'operator');
    await recordChange(c, { action: 'crawler.link', readerId, before: null, after: JSON.stringify(saved.link) });
    return c.json(saved.link, saved.created ? 201 : 200);
  })
  .get('/crawler-keys/lookup', async (c) => {
    const keyid = c.req.query('keyid');
    const directory = c.req.query('directory');
    const agent = directory !== undefined ? normaliseAgentUrl(directory) : null;
    if (directory !== undefined && agent === null)
      throw new AppError('invalid_request', 'directory must be an https URL.', { field: 'directory' });
    if (!keyid && !agent) throw new AppError('invalid_request', 'Name a keyid or a directory.', { field: 'keyid' });
    const found = keyid ? await linkForKeyid(c.env.KV, keyid) : await linkForDirectory(c.env.KV, agent!);
    if (!found) throw new AppError('crawler_link_not_found', 'No wallet is linked to this key or directory.');
    return c.json(found);
  })
  .get('/readers/:readerId/crawler-keys', async (c) => {
    const readerId = c.req.param('readerId');
    if (!isReaderId(readerId)) throw new AppError('reader_not_found', 'No reader with this id.');
    return c.json({ links: await linksOf(c.env.KV, readerId) });
  })
  .delete('/readers/:readerId/crawler-keys/:id', async (c) => {
    const readerId = c.req.param('readerId');
    const found = isReaderId(readerId) ? await linkById(c.env.KV, readerId, c.req.param('id')) : null;
    if (!found) throw new AppError('crawler_link_not_found', 'This reader has no crawler link with this id.');
    await removeLink(c.env.KV, found);
    await recordChange(c, { action: 'crawler.unlink', readerId, before: JSON.stringify(found), after: null });
    return c.body(null, 204);
  });
