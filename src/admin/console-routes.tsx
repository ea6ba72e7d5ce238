import { Hono, type Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { csrf } from 'hono/csrf';
import { NONCE, secureHeaders, type SecureHeadersVariables } from 'hono/secure-headers';
import type { AppEnv } from '../http/app-types';
import { normalizePath } from '../paywall/normalize-path';
import { CompiledRules } from '../rules/compile-rules';
import { siteSchema, type Site } from '../rules/site-schema';
import { hostOfSiteKey, KV_PREFIXES, siteKey } from '../storage/kv-keys';
import { AuditPage } from '../pages/admin-audit';
import { DebtsPage } from '../pages/admin-debts';
import { TakeBacksPage } from '../pages/admin-take-backs';
import { recentTakeBacks } from './take-back-stats';
import { readersInDebt } from '../stripe/readers-in-debt';
import { RevenuePage } from '../pages/admin-revenue';
import { ConsoleMessagePage, SignInPage } from '../pages/admin-sign-in';
import { SiteEditorPage, type PathPreview } from '../pages/admin-site-editor';
import { SitesPage } from '../pages/admin-sites';
import { PublishersPage } from '../pages/admin-publishers';
import { amountOwed } from '../publishers/amount-owed';
import { publisherRegistry } from '../publishers/publisher-stub';
import { buildStatement, isMonth, platformFeeBps, statementCsv } from '../publishers/statement';
import { endSession, isAdminToken, sessionOf, startSession } from './admin-session';
import { auditLog } from './audit-stub';
import { applyRowAction, blankRule, draftFromForm, draftFromSite, siteFromDraft, type SiteDraft } from './site-form';
import { HOST } from './site-routes';
import { saveSite } from './site-writes';
import { signInAllowed, slowDownWrongToken } from './sign-in-throttle';
import { addDays, isIsoDay, MAX_RANGE_DAYS, readUsageHistory, utcDay } from './usage-history';

type ConsoleEnv = { Bindings: Env; Variables: AppEnv['Variables'] & SecureHeadersVariables };
type C = Context<ConsoleEnv>;

const CONSOLE = '/__paywall/admin';
const MAX_LISTED_SITES = 1000;

const nonceOf = (c: C) => c.get('secureHeadersNonce') ?? '';

/** Where to go after signing in: only back into the console. */
function safeNext(next: unknown): string {
  return typeof next === 'string' && /^\/__paywall\/admin(\/[A-Za-z0-9._~:\/?&=%-]*)?$/.test(next) && !next.includes('//') ? next : CONSOLE;
}

/**
 * The admin console: server-rendered pages over the same writes as the admin API.
 * Forms post back here; Hono's csrf() refuses a form posted from another origin, and
 * the session cookie is SameSite=Strict. The CSP allows only this page's own nonce'd
 * style and script.
 */
export const consoleRoutes = new Hono<ConsoleEnv>()
  .use(
    '*',
    secureHeaders({
      contentSecurityPolicy: {
        defaultSrc: ["'none'"],
        styleSrc: [NONCE],
        scriptSrc: [NONCE],
        imgSrc: ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
        baseUri: ["'none'"],
      },
      referrerPolicy: 'no-referrer',
    }),
  )
  .use('*', async (c, next) => {
    await next();
    c.header('cache-control', 'no-store');
  })
  .use('*', bodyLimit({ maxSize: 4 * 1024 * 1024, onError: (c) => c.text('The form is too large.', 413) }))
  .use('*', csrf())
  .post('/sign-in', async (c) => {
    const nonce = nonceOf(c);
    const adminToken = c.env.ADMIN_TOKEN;
    const body = await c.req.parseBody();
    const next = safeNext(body.next);
    if (!adminToken) {
      return c.html(<SignInPage nonce={nonce} next={next} error="Admin sign-in is turned off: ADMIN_TOKEN is not set on this worker." />, 503);
    }
    if (!(await signInAllowed(c))) {
      return c.html(<SignInPage nonce={nonce} next={next} error="Too many sign-in attempts from your address. Wait a minute, then try again." />, 429);
    }
    const token = typeof body.token === 'string' ? body.token.trim() : '';
    if (!(await isAdminToken(c.env, token))) {
      await slowDownWrongToken(c.env);
      return c.html(<SignInPage nonce={nonce} next={next} error="That is not the admin token. Check it and try again." />, 401);
    }
    await startSession(c, adminToken);
    return c.redirect(next, 303);
  })
  .post('/sign-out', (c) => {
    endSession(c);
    return c.redirect(CONSOLE, 303);
  })
  .use('*', async (c, next) => {
    const sessionId = await sessionOf(c);
    if (!sessionId) {
      const url = new URL(c.req.url);
      const back = c.req.method === 'GET' ? url.pathname + url.search : CONSOLE;
      return c.html(<SignInPage nonce={nonceOf(c)} next={safeNext(back)} />, 401);
    }
    c.set('admin', { via: 'console', sessionId });
    await next();
  })
  .get('/', async (c) => {
    const hosts: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await c.env.KV.list({ prefix: KV_PREFIXES.site, ...(cursor ? { cursor } : {}) });
      hosts.push(...page.keys.map((k) => hostOfSiteKey(k.name)));
      cursor = page.list_complete ? undefined : page.cursor;
    } while (cursor && hosts.length < MAX_LISTED_SITES);
    const recent = await auditLog(c.env).list({ limit: 10 });
    return c.html(<SitesPage nonce={nonceOf(c)} hosts={hosts.slice(0, MAX_LISTED_SITES)} truncated={cursor !== undefined} recent={recent.entries} />);
  })
  .get('/sites', async (c) => {
    const host = (c.req.query('host') ?? '').trim().toLowerCase();
    if (HOST.test(host) && siteSchema.shape.host.safeParse(host).success) return c.redirect(`${CONSOLE}/sites/${host}`, 303);
    const recent = await auditLog(c.env).list({ limit: 10 });
    return c.html(
      <SitesPage nonce={nonceOf(c)} hosts={[]} truncated={false} recent={recent.entries} hostValue={host} hostError="Type a lower-case host name, like news.example or localhost:8080." />,
      400,
    );
  })
  .use('/sites/:host/*', hostGuard)
  .use('/sites/:host', hostGuard)
  .get('/sites/:host', async (c) => {
    const host = c.req.param('host');
    const stored = await storedSite(c.env, host);
    const draft = stored.site ? draftFromSite(stored.site) : { host, origin: '', rules: [{ ...blankRule(), pattern: '/*', price: '0' }] };
    const issues = stored.text !== null && !stored.site
      ? [{ path: '', message: 'The document in KV is not valid (readers are served its last good version); saving this form replaces it.' }]
      : [];
    return c.html(
      <SiteEditorPage nonce={nonceOf(c)} draft={draft} issues={issues} exists={stored.text !== null} saved={c.req.query('saved') === '1'} preview={null} previewPath="" />,
    );
  })
  .post('/sites/:host', async (c) => {
    const host = c.req.param('host');
    const body = await c.req.parseBody({ all: true });
    const action = typeof body.action === 'string' ? body.action : 'preview';
    const previewPath = typeof body.previewPath === 'string' ? body.previewPath : '';
    let draft: SiteDraft = draftFromForm(host, body);
    const exists = (await c.env.KV.get(siteKey(host))) !== null;
    const render = (props: { issues?: { path: string; message: string }[]; preview?: PathPreview | null }, status: 200 | 400 = 200) =>
      c.html(
        <SiteEditorPage nonce={nonceOf(c)} draft={draft} issues={props.issues ?? []} exists={exists} saved={false} preview={props.preview ?? null} previewPath={previewPath} />,
        status,
      );

    if (action === 'save') {
      const checked = siteFromDraft(draft);
      if (!checked.ok) return render({ issues: checked.issues }, 400);
      await saveSite(c as unknown as Context<AppEnv>, checked.site);
      return c.redirect(`${CONSOLE}/sites/${host}?saved=1`, 303);
    }
    if (action === 'preview') {
      const checked = siteFromDraft(draft);
      return render({ issues: checked.ok ? [] : checked.issues, preview: previewOf(checked.ok ? checked.site : null, previewPath) });
    }
    draft = applyRowAction(draft, action);
    return render({});
  })
  .get('/sites/:host/revenue', async (c) => {
    const host = c.req.param('host');
    const today = utcDay(Date.now());
    const from = c.req.query('from') ?? addDays(today, -29);
    const to = c.req.query('to') ?? today;
    const errors: { from?: string; to?: string } = {};
    if (!isIsoDay(from)) errors.from = 'must be a day written YYYY-MM-DD';
    if (!isIsoDay(to)) errors.to = 'must be a day written YYYY-MM-DD';
    if (!errors.from && !errors.to) {
      if (from > to) errors.from = 'must not be after the last day';
      else if (addDays(from, MAX_RANGE_DAYS - 1) < to) errors.to = `must be at most ${MAX_RANGE_DAYS} days after the first day`;
    }
    const ok = !errors.from && !errors.to;
    const usage = ok ? await readUsageHistory(c.env.KV, host, from, to) : null;
    return c.html(<RevenuePage nonce={nonceOf(c)} host={host} from={from} to={to} errors={errors} usage={usage} />, ok ? 200 : 400);
  })
  .get('/audit', async (c) => {
    const host = c.req.query('host');
    const before = Number(c.req.query('before'));
    const page = await auditLog(c.env).list({
      limit: 50,
      ...(host && HOST.test(host) ? { host } : {}),
      ...(Number.isSafeInteger(before) && before > 0 ? { before } : {}),
    });
    return c.html(<AuditPage nonce={nonceOf(c)} {...(host && HOST.test(host) ? { host } : {})} entries={page.entries} nextBefore={page.nextBefore} />);
  })
  .get('/sites/:host/take-backs', hostGuard, async (c) => {
    const host = c.req.param('host') ?? '';
    return c.html(<TakeBacksPage nonce={nonceOf(c)} host={host} {...await recentTakeBacks(c.env, host)} />);
  })
  .get('/debts', async (c) => c.html(<DebtsPage nonce={nonceOf(c)} readers={await readersInDebt(c.env)} />))
  .get('/publishers', async (c) => {
    const bps = platformFeeBps(c.env);
    const thisMonth = utcDay(Date.now()).slice(0, 7);
    const lastMonth = addDays(`${thisMonth}-01`, -1).slice(0, 7);
    const rows = [];
    for (const publisher of await publisherRegistry(c.env).list()) {
      const owed = bps === null ? null : await amountOwed(c.env, publisher, bps, thisMonth);
      rows.push({ publisher, owed: owed?.ok ? owed.owed : null });
    }
    return c.html(<PublishersPage nonce={nonceOf(c)} rows={rows} months={[thisMonth, lastMonth]} />);
  })
  .get('/publishers/:publisherId/statements/:file{[0-9]{4}-[0-9]{2}\\.csv}', async (c) => {
    const month = c.req.param('file').slice(0, 7);
    const bps = platformFeeBps(c.env);
    const publisher = /^pub_[A-Za-z0-9_-]{16}$/.test(c.req.param('publisherId')) ? await publisherRegistry(c.env).get(c.req.param('publisherId')) : null;
    if (!publisher || !isMonth(month) || bps === null) return c.html(<ConsoleMessagePage nonce={nonceOf(c)} signedIn title="No such statement" message="There is no statement for this publisher and month." />, 404);
    const built = await buildStatement(c.env.KV, publisher, month, bps);
    if (!built.ok) return c.html(<ConsoleMessagePage nonce={nonceOf(c)} signedIn title="Statement unreadable" message={`The usage summary of ${built.host} for ${built.date} is not valid.`} />, 500);
    return c.body(statementCsv(built.statement), 200, {
      'content-type': 'text/csv; charset=utf-8',
      'content-disposition': `attachment; filename="statement-${publisher.publisherId}-${month}.csv"`,
    });
  })
  .all('*', (c) => c.html(<ConsoleMessagePage nonce={nonceOf(c)} signedIn title="Not found" message="There is no such console page." />, 404));

async function hostGuard(c: C, next: () => Promise<void>) {
  if (HOST.test(c.req.param('host') ?? '')) return next();
  return c.html(<ConsoleMessagePage nonce={nonceOf(c)} signedIn title="No such site" message="A site is named by a lower-case host name." />, 400);
}

async function storedSite(env: Env, host: string): Promise<{ text: string | null; site: Site | null }> {
  const text = await env.KV.get(siteKey(host));
  if (text === null) return { text, site: null };
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { text, site: null };
  }
  const parsed = siteSchema.safeParse(json);
  return { text, site: parsed.success && parsed.data.host === host ? parsed.data : null };
}

/** Which rule a path meets, exactly as a view would: the paywall's own normalisation and matcher. */
function previewOf(site: Site | null, input: string): PathPreview | null {
  const text = input.trim();
  if (text === '') return null;
  let pathname: string;
  try {
    pathname = new URL(text, 'http://preview.invalid').pathname;
  } catch {
    return { kind: 'invalid_path', path: text, reason: 'not a path' };
  }
  const normalized = normalizePath(pathname);
  if (!normalized.ok) return { kind: 'invalid_path', path: pathname, reason: normalized.reason };
  if (!site) return { kind: 'draft_invalid', path: normalized.path };
  const matched = new CompiledRules(site).match(normalized.path);
  if (!matched) return { kind: 'free', path: normalized.path };
  return {
    kind: 'match',
    path: normalized.path,
    index: matched.index,
    pattern: matched.rule.pattern,
    priceMicros: matched.rule.priceMicros,
    ...(matched.rule.reviewWindowSeconds !== undefined ? { reviewWindowSeconds: matched.rule.reviewWindowSeconds } : {}),
  };
}
