import { Hono, type Context } from 'hono';
import { csrf } from 'hono/csrf';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { linkById, linksOf, removeLink, saveLink } from '../crawlers/crawler-links';
import { linkBody, newLink } from '../crawlers/crawler-key-routes';
import type { AppEnv } from '../http/app-types';
import { hostKindOf } from '../http/hosts';
import { CrawlerLinksPage, type CrawlerLinksProps } from '../pages/crawler-links-page';
import { pageHeaders, formBodyLimit } from '../pages/page-headers';
import { signedInReader } from './wallet-session';

const NOTICES: Record<string, string> = {
  linked: 'Linked: its signed requests now pay from this wallet.',
  unlinked: 'Unlinked: its signatures pay for nothing more.',
};

/** `/__paywall/account/crawlers` on the wallet host: the signed-in reader's crawler links. */
export const crawlerPageRoutes = new Hono<AppEnv>()
  .use(pageHeaders)
  .use(csrf())
  .use(formBodyLimit(8 * 1024))
  .use('*', async (c, next) => (hostKindOf(c.env, c.req.url) === 'wallet' ? next() : c.notFound()))
  .get('/', async (c) => {
    const readerId = await signedInReader(c);
    if (!readerId) return c.redirect('/__paywall/account', 303);
    const key = c.req.query('notice') ?? '';
    return render(c, readerId, { notice: NOTICES[key] ?? null, error: null, typed: {} });
  })
  .post('/link', async (c) => {
    const readerId = await signedInReader(c);
    if (!readerId) return c.redirect('/__paywall/account', 303);
    const form = await c.req.parseBody();
    const typed = { jwk: text(form.jwk), directory: text(form.directory), label: text(form.label) };
    let jwk: unknown;
    if (typed.jwk.trim() !== '') {
      try {
        jwk = JSON.parse(typed.jwk);
      } catch {
        return render(
          c,
          readerId,
          {
            notice: null,
            error: { field: 'jwk', message: 'That is not JSON: paste the key as {"kty":"OKP","crv":"Ed25519","x":"…"}.' },
            typed,
          },
          400,
        );
      }
    }
    const body = {
      ...(jwk !== undefined ? { jwk } : {}),
      ...(typed.directory.trim() !== '' ? { directory: typed.directory.trim() } : {}),
      ...(typed.label.trim() !== '' ? { label: typed.label.trim() } : {}),
    };
    const parsed = linkBody.safeParse(body);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      const field = issue.path[0] === 'directory' ? 'directory' : 'jwk';
      const message =
        jwk === undefined && typed.directory.trim() === ''
          ? 'Give the directory URL or the public key.'
          : `${field === 'jwk' ? 'The key' : 'The directory'} ${issue.message}.`;
      return render(c, readerId, { notice: null, error: { field, message }, typed }, 400);
    }
    const saved = await saveLink(c.env.KV, await newLink(parsed.data, readerId, 'reader'));
    if (!saved.ok) {
      const message = 'This key or directory already pays from another wallet; that wallet (or support) must unlink it first.';
      return render(c, readerId, { notice: null, error: { field: null, message }, typed }, 409);
    }
    return c.redirect('/__paywall/account/crawlers?notice=linked', 303);
  })
  .post('/unlink', async (c) => {
    const readerId = await signedInReader(c);
    if (!readerId) return c.redirect('/__paywall/account', 303);
    const found = await linkById(c.env.KV, readerId, text((await c.req.parseBody()).id));
    if (found) await removeLink(c.env.KV, found);
    return c.redirect('/__paywall/account/crawlers?notice=unlinked', 303);
  });

async function render(c: Context<AppEnv>, readerId: string, p: Omit<CrawlerLinksProps, 'links'>, status: ContentfulStatusCode = 200) {
  return c.html(CrawlerLinksPage({ ...p, links: await linksOf(c.env.KV, readerId) }), status);
}

function text(v: unknown): string {
  return typeof v === 'string' ? v.slice(0, 4096) : '';
}
