import { Hono, type Context } from 'hono';
import { formBodyLimit } from '../pages/page-headers';
import { csrf } from 'hono/csrf';
import { NONCE, secureHeaders, type SecureHeadersVariables } from 'hono/secure-headers';
import { AppError } from '../http/app-error';
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
import { consoleActorOf, endSession, isAdminToken, startSession } from './admin-session';
import { publisherScopeOf, type AdminActor } from './admin-actor';
import { mayUseHost, isOperator } from './admin-scope';
import { consolePasskeyRoutes, createInvite, inviteOf, INVITE_CODE } from './console-passkeys';
import { createPublisher, newPublisher, PUBLISHER_ID } from '../publishers/publisher-routes';
import { claimHost, verifyHost } from '../publishers/host-claims';
import { ReaderLookupPage, ReaderPage, type MoveForm } from '../pages/admin-readers';
import { usdForPeople } from '../money';
import { isReaderId } from '../reader/reader-token';
import { walletOf } from '../wallet/wallet-stub';
import { moveBalance } from './move-routes';
import { recordChange } from './audit-stub';
import {
  InviteCreatedPage,
  JoinPage,
  NewPublisherForm,
  PublisherCreatedPage,
  PublisherPage,
  type FieldErrors,
} from '../pages/admin-people';
import { ViewerContext, type Viewer } from '../pages/admin-viewer';
import { errorTitle } from '../pages/error-page';
import type { Child } from 'hono/jsx';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { Publisher } from '../publishers/publisher-types';
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

function viewerOf(actor: AdminActor | undefined): Viewer | null {
  if (!actor) return null;
  if (actor.via === 'person')
    return {
      kind: 'person',
      personName: actor.personName,
      publisherName: actor.publisherName,
      publisherId: actor.publisherId,
      role: actor.role,
    };
  return isOperator(actor) ? { kind: 'operator' } : null;
}

/** A console page, told who is looking (the layout's nav depends on it). */
function render(c: C, node: Child, status?: ContentfulStatusCode) {
  return c.html(<ViewerContext.Provider value={viewerOf(c.var.admin)}>{node}</ViewerContext.Provider>, status);
}

const notFoundPage = (c: C, title = 'Not found', message = 'There is no such console page.') =>
  render(c, <ConsoleMessagePage nonce={nonceOf(c)} signedIn title={title} message={message} />, 404);

/** The operator's pages: to one of a publisher's people they do not exist. */
async function operatorOnly(c: C, next: () => Promise<void>) {
  return isOperator(c.var.admin) ? next() : notFoundPage(c);
}

function monthsToList(): string[] {
  const thisMonth = utcDay(Date.now()).slice(0, 7);
  return [thisMonth, addDays(`${thisMonth}-01`, -1).slice(0, 7)];
}

/** Where to go after signing in: only back into the console. */
function safeNext(next: unknown): string {
  return typeof next === 'string' && /^\/__paywall\/admin(\/[A-Za-z0-9._~:/?&=%-]*)?$/.test(next) && !next.includes('//') ? next : CONSOLE;
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
        // The passkey script's calls to /__paywall/admin/passkeys/*.
        connectSrc: ["'self'"],
        frameAncestors: ["'none'"],
        baseUri: ["'none'"],
      },
      referrerPolicy: 'no-referrer',
    }),
  )
  .use('*', async (c, next) => {
    // A refusal thrown for a person (a form too large) is a console page, under the console's CSP.
    c.set('errorPage', (_, error) =>
      render(
        c,
        <ConsoleMessagePage
          nonce={nonceOf(c)}
          signedIn={false}
          title={errorTitle(error.status, error.details.title)}
          message={error.message}
        />,
        error.status,
      ),
    );
    await next();
    c.header('cache-control', 'no-store');
  })
  .use('*', formBodyLimit(4 * 1024 * 1024))
  .use('*', csrf())
  .post('/sign-in', async (c) => {
    const nonce = nonceOf(c);
    const adminToken = c.env.ADMIN_TOKEN;
    const body = await c.req.parseBody();
    const next = safeNext(body.next);
    if (!adminToken) {
      return render(
        c,
        <SignInPage nonce={nonce} next={next} error="Admin sign-in is turned off: ADMIN_TOKEN is not set on this worker." />,
        503,
      );
    }
    if (!(await signInAllowed(c))) {
      return render(
        c,
        <SignInPage nonce={nonce} next={next} error="Too many sign-in attempts from your address. Wait a minute, then try again." />,
        429,
      );
    }
    const token = typeof body.token === 'string' ? body.token.trim() : '';
    if (!(await isAdminToken(c.env, token))) {
      await slowDownWrongToken(c.env);
      return render(c, <SignInPage nonce={nonce} next={next} error="That is not the admin token. Check it and try again." />, 401);
    }
    await startSession(c, adminToken);
    return c.redirect(next, 303);
  })
  .post('/sign-out', (c) => {
    endSession(c);
    return c.redirect(CONSOLE, 303);
  })
  .route('/passkeys', consolePasskeyRoutes as unknown as Hono<ConsoleEnv>)
  .get('/join/:code', async (c) => {
    const code = c.req.param('code');
    const invite = INVITE_CODE.test(code) ? await inviteOf(c.env, code) : null;
    return render(
      c,
      <JoinPage
        nonce={nonceOf(c)}
        invite={invite ? { code, name: invite.name, publisherName: invite.publisherName, role: invite.role } : null}
      />,
      invite ? 200 : 404,
    );
  })
  .use('*', async (c, next) => {
    const actor = await consoleActorOf(c);
    if (!actor) {
      const url = new URL(c.req.url);
      const back = c.req.method === 'GET' ? url.pathname + url.search : CONSOLE;
      return render(c, <SignInPage nonce={nonceOf(c)} next={safeNext(back)} />, 401);
    }
    c.set('admin', actor);
    await next();
  })
  .get('/', async (c) => {
    const scope = publisherScopeOf(c.var.admin);
    if (scope) {
      const recent = await auditLog(c.env).list({ limit: 10, scope });
      return render(
        c,
        <SitesPage
          nonce={nonceOf(c)}
          hosts={scope.hosts}
          truncated={false}
          recent={recent.entries}
          welcome={c.req.query('welcome') === '1'}
        />,
      );
    }
    const hosts: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await c.env.KV.list({ prefix: KV_PREFIXES.site, ...(cursor ? { cursor } : {}) });
      hosts.push(...page.keys.map((k) => hostOfSiteKey(k.name)));
      cursor = page.list_complete ? undefined : page.cursor;
    } while (cursor && hosts.length < MAX_LISTED_SITES);
    const recent = await auditLog(c.env).list({ limit: 10 });
    return render(
      c,
      <SitesPage nonce={nonceOf(c)} hosts={hosts.slice(0, MAX_LISTED_SITES)} truncated={cursor !== undefined} recent={recent.entries} />,
    );
  })
  .get('/sites', async (c) => {
    const host = (c.req.query('host') ?? '').trim().toLowerCase();
    if (HOST.test(host) && siteSchema.shape.host.safeParse(host).success) return c.redirect(`${CONSOLE}/sites/${host}`, 303);
    const scope = publisherScopeOf(c.var.admin);
    const recent = await auditLog(c.env).list({ limit: 10, ...(scope ? { scope } : {}) });
    return render(
      c,
      <SitesPage
        nonce={nonceOf(c)}
        hosts={scope?.hosts ?? []}
        truncated={false}
        recent={recent.entries}
        hostValue={host}
        hostError="Type a lower-case host name, like news.example or localhost:8080."
      />,
      400,
    );
  })
  .use('/sites/:host/*', hostGuard)
  .use('/sites/:host', hostGuard)
  .get('/sites/:host', async (c) => {
    const host = c.req.param('host');
    const stored = await storedSite(c.env, host);
    const draft = stored.site ? draftFromSite(stored.site) : { host, origin: '', rules: [{ ...blankRule(), pattern: '/*', price: '0' }] };
    const issues =
      stored.text !== null && !stored.site
        ? [
            {
              path: '',
              message: 'The document in KV is not valid (readers are served its last good version); saving this form replaces it.',
            },
          ]
        : [];
    return render(
      c,
      <SiteEditorPage
        nonce={nonceOf(c)}
        draft={draft}
        issues={issues}
        exists={stored.text !== null}
        saved={c.req.query('saved') === '1'}
        preview={null}
        previewPath=""
      />,
    );
  })
  .post('/sites/:host', async (c) => {
    const host = c.req.param('host');
    const body = await c.req.parseBody({ all: true });
    const action = typeof body.action === 'string' ? body.action : 'preview';
    const previewPath = typeof body.previewPath === 'string' ? body.previewPath : '';
    let draft: SiteDraft = draftFromForm(host, body);
    const exists = (await c.env.KV.get(siteKey(host))) !== null;
    const show = (props: { issues?: { path: string; message: string }[]; preview?: PathPreview | null }, status: 200 | 400 = 200) =>
      render(
        c,
        <SiteEditorPage
          nonce={nonceOf(c)}
          draft={draft}
          issues={props.issues ?? []}
          exists={exists}
          saved={false}
          preview={props.preview ?? null}
          previewPath={previewPath}
        />,
        status,
      );

    if (action === 'save') {
      const checked = siteFromDraft(draft);
      if (!checked.ok) return show({ issues: checked.issues }, 400);
      await saveSite(c as unknown as Context<AppEnv>, checked.site);
      return c.redirect(`${CONSOLE}/sites/${host}?saved=1`, 303);
    }
    if (action === 'preview') {
      const checked = siteFromDraft(draft);
      return show({ issues: checked.ok ? [] : checked.issues, preview: previewOf(checked.ok ? checked.site : null, previewPath) });
    }
    draft = applyRowAction(draft, action);
    return show({});
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
    return render(c, <RevenuePage nonce={nonceOf(c)} host={host} from={from} to={to} errors={errors} usage={usage} />, ok ? 200 : 400);
  })
  .get('/audit', async (c) => {
    const host = c.req.query('host');
    const before = Number(c.req.query('before'));
    const scope = publisherScopeOf(c.var.admin);
    if (host && HOST.test(host) && !mayUseHost(c.var.admin, host)) return notFoundPage(c, 'No such site', 'This site is not one of yours.');
    const page = await auditLog(c.env).list({
      limit: 50,
      ...(scope ? { scope } : {}),
      ...(host && HOST.test(host) ? { host } : {}),
      ...(Number.isSafeInteger(before) && before > 0 ? { before } : {}),
    });
    return render(
      c,
      <AuditPage nonce={nonceOf(c)} {...(host && HOST.test(host) ? { host } : {})} entries={page.entries} nextBefore={page.nextBefore} />,
    );
  })
  .get('/sites/:host/take-backs', hostGuard, async (c) => {
    const host = c.req.param('host') ?? '';
    return render(c, <TakeBacksPage nonce={nonceOf(c)} host={host} {...(await recentTakeBacks(c.env, host))} />);
  })
  .use('/readers', operatorOnly)
  .use('/readers/*', operatorOnly)
  .get('/readers', async (c) => {
    const id = (c.req.query('id') ?? '').trim();
    if (id === '') return render(c, <ReaderLookupPage nonce={nonceOf(c)} />);
    if (!isReaderId(id))
      return render(
        c,
        <ReaderLookupPage nonce={nonceOf(c)} value={id} error="A reader id starts with r_ and is 24 characters long." />,
        400,
      );
    return c.redirect(`${CONSOLE}/readers/${id}`, 303);
  })
  .get('/readers/:readerId', async (c) => {
    const shown = await readerPage(
      c,
      c.req.param('readerId'),
      { toReaderId: '', reason: '', key: crypto.randomUUID(), errors: {} },
      c.req.query('moved'),
    );
    return shown ?? render(c, <ReaderLookupPage nonce={nonceOf(c)} value={c.req.param('readerId')} error="No reader with this id." />, 404);
  })
  .post('/readers/:readerId/move', async (c) => {
    const fromReaderId = c.req.param('readerId');
    const body = await c.req.parseBody();
    const field = (name: string) => (typeof body[name] === 'string' ? (body[name] as string).trim() : '');
    const move: MoveForm = {
      toReaderId: field('toReaderId'),
      reason: field('reason'),
      key: /^[0-9a-f-]{36}$/.test(field('key')) ? field('key') : crypto.randomUUID(),
      errors: {},
    };
    if (!isReaderId(move.toReaderId)) move.errors.toReaderId = 'Type the id of the reader who receives the money (r_…).';
    if (move.reason === '' || move.reason.length > 500)
      move.errors.reason = 'Say why, in at most 500 characters: it goes in the audit log.';
    if (isReaderId(fromReaderId) && Object.keys(move.errors).length === 0) {
      try {
        const moved = await moveBalance(c as unknown as Context<AppEnv>, {
          fromReaderId,
          toReaderId: move.toReaderId,
          reason: move.reason,
          key: `console:${move.key}`,
        });
        const said = `Moved ${usdForPeople(moved.movedMicros)} to ${move.toReaderId}, whose balance is now ${usdForPeople(moved.toBalanceMicros)}.`;
        return c.redirect(`${CONSOLE}/readers/${fromReaderId}?moved=${encodeURIComponent(said)}`, 303);
      } catch (e) {
        const refused = refusal(e);
        if (refused.details.field === 'toReaderId') move.errors.toReaderId = refused.message.replace(/^toReaderId: /, '');
        else move.errors.form = refused.message;
      }
    }
    const shown = await readerPage(c, fromReaderId, move, undefined, 400);
    return shown ?? render(c, <ReaderLookupPage nonce={nonceOf(c)} value={fromReaderId} error="No reader with this id." />, 404);
  })
  .get('/debts', operatorOnly, async (c) => render(c, <DebtsPage nonce={nonceOf(c)} readers={await readersInDebt(c.env)} />))
  .get('/publishers', async (c) => {
    const scope = publisherScopeOf(c.var.admin);
    if (scope) return c.redirect(`${CONSOLE}/publishers/${scope.publisherId}`, 303);
    return render(c, await publishersPage(c));
  })
  .post('/publishers', operatorOnly, async (c) => {
    const body = await c.req.parseBody();
    const name = typeof body.name === 'string' ? body.name : '';
    const hostsText = typeof body.hosts === 'string' ? body.hosts : '';
    const hosts = hostsText
      .split(/[\s,]+/)
      .map((h) => h.trim().toLowerCase())
      .filter(Boolean);
    const checked = newPublisher.safeParse({ name, hosts });
    const errors: FieldErrors = {};
    if (!checked.success) {
      for (const issue of checked.error.issues) {
        const field = issue.path[0] === 'name' ? 'publisher-name' : 'publisher-hosts';
        const which = issue.path[0] === 'hosts' && typeof issue.path[1] === 'number' ? `${hosts[issue.path[1]]}: ` : '';
        errors[field] ??= `${which}${issue.message}`;
      }
    } else {
      try {
        const made = await createPublisher(c as unknown as Context<AppEnv>, checked.data.name, checked.data.hosts);
        return render(
          c,
          <PublisherCreatedPage nonce={nonceOf(c)} publisherId={made.publisherId} name={checked.data.name} apiKey={made.apiKey} />,
          201,
        );
      } catch (e) {
        const refused = refusal(e);
        const at = Number(refused.details.field?.split('.')[1]);
        const why = refused.message.replace(/^hosts\.\d+: /, '');
        errors['publisher-hosts'] = refused.code === 'host_taken' ? why : `${checked.data.hosts[at] ?? ''} ${why}`;
      }
    }
    return render(c, await publishersPage(c, { name, hosts: hostsText }, errors), 400);
  })
  .use('/publishers/:publisherId', publisherGuard)
  .use('/publishers/:publisherId/*', publisherGuard)
  .get('/publishers/:publisherId', async (c) => {
    const done = DONE_NOTICES[c.req.query('done') ?? ''];
    const notice = c.req.query('added') ? `${c.req.query('added')} is now one of your hosts: its rules can be saved.` : done;
    return render(c, await publisherPage(c, c.get('publisher' as never) as Publisher, undefined, undefined, notice ? { notice } : {}));
  })
  .post('/publishers/:publisherId/hosts', async (c) => {
    const publisher = c.get('publisher' as never) as Publisher;
    const body = await c.req.parseBody();
    const host = typeof body.host === 'string' ? body.host.trim().toLowerCase() : '';
    let refused: AppError;
    try {
      const outcome = await claimHost(c as unknown as Context<AppEnv>, publisher.publisherId, host, body.skipCheck === '1');
      if (outcome.status === 'added')
        return c.redirect(`${CONSOLE}/publishers/${publisher.publisherId}?added=${encodeURIComponent(host)}`, 303);
      return c.redirect(`${CONSOLE}/publishers/${publisher.publisherId}#claim-${host}`, 303);
    } catch (e) {
      refused = refusal(e);
    }
    const fresh = (await publisherRegistry(c.env).get(publisher.publisherId))!;
    return render(
      c,
      await publisherPage(c, fresh, undefined, undefined, { hostValue: host, hostError: refused.message.replace(/^\w+: /, '') }),
      refused.status === 404 ? 404 : 400,
    );
  })
  .post('/publishers/:publisherId/hosts/:host/verify', async (c) => {
    const publisher = c.get('publisher' as never) as Publisher;
    const host = c.req.param('host');
    const body = await c.req.parseBody();
    let refused: AppError;
    try {
      await verifyHost(
        c as unknown as Context<AppEnv>,
        publisher.publisherId,
        host,
        typeof body.origin === 'string' ? body.origin.trim() : '',
      );
      return c.redirect(`${CONSOLE}/publishers/${publisher.publisherId}?added=${encodeURIComponent(host)}`, 303);
    } catch (e) {
      refused = refusal(e);
    }
    const fresh = (await publisherRegistry(c.env).get(publisher.publisherId))!;
    return render(
      c,
      await publisherPage(c, fresh, undefined, undefined, { claimErrors: { [`origin-${host}`]: refused.message.replace(/^\w+: /, '') } }),
      400,
    );
  })
  .post('/publishers/:publisherId/invites', async (c) => {
    const publisher = c.get('publisher' as never) as Publisher;
    if (!mayInvite(c.var.admin, publisher.publisherId))
      return render(
        c,
        <ConsoleMessagePage
          nonce={nonceOf(c)}
          signedIn
          title="Not allowed"
          message="Only the operator and the publisher's owners invite people."
        />,
        403,
      );
    const body = await c.req.parseBody();
    const name = typeof body.name === 'string' ? body.name.replace(/[\p{Cc}\p{Cf}]/gu, '').trim() : '';
    const role = body.role === 'owner' ? 'owner' : 'member';
    if (name === '' || name.length > 100) {
      const error = name === '' ? 'Type the name of the person you invite.' : 'A name is at most 100 characters.';
      return render(c, await publisherPage(c, publisher, { name, role }, { 'invite-name': error }), 400);
    }
    const made = await createInvite(c as unknown as Context<AppEnv>, publisher.publisherId, name, role);
    if (!made.ok) return notFoundPage(c);
    return render(
      c,
      <InviteCreatedPage
        nonce={nonceOf(c)}
        publisherId={publisher.publisherId}
        publisherName={publisher.name}
        name={name}
        link={made.link}
        expiresAt={made.invite.expiresAt}
      />,
      201,
    );
  })
  .post('/publishers/:publisherId/people/:personId/remove', async (c) => {
    const publisher = c.get('publisher' as never) as Publisher;
    const actor = c.var.admin;
    if (!mayInvite(actor, publisher.publisherId)) return notAllowed(c, "Only the operator and the publisher's owners remove people.");
    const personId = c.req.param('personId');
    if (actor.via === 'person' && actor.personId === personId)
      return notAllowed(c, 'You cannot remove yourself: ask another owner, or the operator.');
    const removed = await publisherRegistry(c.env).removePerson(publisher.publisherId, personId);
    if (!removed.ok) return notFoundPage(c, 'No such person', `${publisher.name} has no such person.`);
    await recordChange(c as unknown as Context<AppEnv>, {
      action: 'publisher.person.remove',
      publisherId: publisher.publisherId,
      before: null,
      after: JSON.stringify({ personId, name: removed.person.name, role: removed.person.role }),
    });
    return c.redirect(`${CONSOLE}/publishers/${publisher.publisherId}?done=removed`, 303);
  })
  .post('/publishers/:publisherId/invites/:inviteId/revoke', async (c) => {
    const publisher = c.get('publisher' as never) as Publisher;
    if (!mayInvite(c.var.admin, publisher.publisherId))
      return notAllowed(c, "Only the operator and the publisher's owners revoke invites.");
    const revoked = await publisherRegistry(c.env).revokeInvite(publisher.publisherId, c.req.param('inviteId'));
    if (!revoked.ok)
      return notFoundPage(c, 'No such invite', 'There is no pending invite with this id: it may have been used or revoked already.');
    await recordChange(c as unknown as Context<AppEnv>, {
      action: 'publisher.invite.revoke',
      publisherId: publisher.publisherId,
      before: null,
      after: JSON.stringify(revoked.invite),
    });
    return c.redirect(`${CONSOLE}/publishers/${publisher.publisherId}?done=revoked`, 303);
  })
  .post('/publishers/:publisherId/passkeys/:credentialId/remove', async (c) => {
    const publisher = c.get('publisher' as never) as Publisher;
    const actor = c.var.admin;
    // Only the person themself: a passkey is theirs, not their owner's nor the operator's.
    if (actor.via !== 'person') return notAllowed(c, 'Only the person whose passkey it is removes it.');
    const removed = await publisherRegistry(c.env).removePersonPasskey(actor.personId, c.req.param('credentialId'));
    if (!removed.ok && removed.reason === 'last_passkey')
      return notAllowed(c, 'This is your only passkey: add another before you remove it, or you could not sign in again.', 409);
    if (!removed.ok) return notFoundPage(c, 'No such passkey', 'You have no passkey with this id.');
    await recordChange(c as unknown as Context<AppEnv>, {
      action: 'publisher.passkey.remove',
      publisherId: publisher.publisherId,
      before: null,
      after: JSON.stringify({ personId: actor.personId, name: actor.personName, passkey: removed.passkey.credentialId }),
    });
    return c.redirect(`${CONSOLE}/publishers/${publisher.publisherId}?done=passkey-removed#passkeys`, 303);
  })
  .get('/publishers/:publisherId/statements/:file{[0-9]{4}-[0-9]{2}\\.csv}', async (c) => {
    const month = c.req.param('file').slice(0, 7);
    const bps = platformFeeBps(c.env);
    const publisher = c.get('publisher' as never) as Publisher;
    if (!isMonth(month) || bps === null)
      return render(
        c,
        <ConsoleMessagePage
          nonce={nonceOf(c)}
          signedIn
          title="No such statement"
          message="There is no statement for this publisher and month."
        />,
        404,
      );
    const built = await buildStatement(c.env.KV, publisher, month, bps);
    if (!built.ok)
      return render(
        c,
        <ConsoleMessagePage
          nonce={nonceOf(c)}
          signedIn
          title="Statement unreadable"
          message={`The usage summary of ${built.host} for ${built.date} is not valid.`}
        />,
        500,
      );
    return c.body(statementCsv(built.statement), 200, {
      'content-type': 'text/csv; charset=utf-8',
      'content-disposition': `attachment; filename="statement-${publisher.publisherId}-${month}.csv"`,
    });
  })
  .all('*', (c) => notFoundPage(c));

async function hostGuard(c: C, next: () => Promise<void>) {
  const host = c.req.param('host') ?? '';
  if (!HOST.test(host))
    return render(
      c,
      <ConsoleMessagePage nonce={nonceOf(c)} signedIn title="No such site" message="A site is named by a lower-case host name." />,
      400,
    );
  // One of a publisher's people sees only its own hosts; another's is not there for them.
  if (!mayUseHost(c.var.admin, host)) return notFoundPage(c, 'No such site', `${host} is not one of your sites.`);
  return next();
}

/** A publisher page: the operator sees any; one of a publisher's people only their own. */
async function publisherGuard(c: C, next: () => Promise<void>) {
  const id = c.req.param('publisherId') ?? '';
  const scope = publisherScopeOf(c.var.admin);
  const publisher = PUBLISHER_ID.test(id) && (!scope || scope.publisherId === id) ? await publisherRegistry(c.env).get(id) : null;
  if (!publisher) return notFoundPage(c, 'No such publisher', 'There is no such publisher among yours.');
  c.set('publisher' as never, publisher as never);
  return next();
}

/** A reader's page; looking is audited, as the API's reader lookup is. Null when there is no such reader. */
async function readerPage(c: C, readerId: string, move: MoveForm, moved?: string, status: 200 | 400 = 200) {
  if (!isReaderId(readerId)) return null;
  const wallet = walletOf(c.env, readerId);
  if (!(await wallet.exists())) return null;
  const [summary, ledger] = await Promise.all([wallet.summary(), wallet.ledger(20)]);
  if (status === 200) {
    await recordChange(c as unknown as Context<AppEnv>, {
      action: 'reader.lookup',
      readerId,
      before: null,
      after: null,
      detail: { looked_at: 'console' },
    });
  }
  // Only our own notice is shown back (it is in the redirect's query): nothing else a link could carry.
  const notice = moved && /^Moved \S+ to r_[A-Za-z0-9_-]+, whose balance is now \S+\.$/.test(moved) ? moved : undefined;
  return render(c, <ReaderPage nonce={nonceOf(c)} summary={summary} entries={ledger.entries} move={move} moved={notice} />, status);
}

/** What a change on the publisher page says after its redirect: only these fixed texts, nothing a link could carry. */
const DONE_NOTICES: Record<string, string> = {
  removed: 'The person is removed: they are signed out, and their passkeys sign nobody in.',
  revoked: 'The invite is revoked: its link no longer works.',
  'passkey-added': 'Your new passkey is saved: you can sign in with either.',
  'passkey-removed': 'The passkey is removed: it signs nobody in any more.',
};

/** A refusal that this page shows in its form: an AppError. Anything else goes on to the app's onError. */
function refusal(e: unknown): AppError {
  if (e instanceof AppError) return e;
  throw e;
}

const notAllowed = (c: C, message: string, status: 403 | 409 = 403) =>
  render(c, <ConsoleMessagePage nonce={nonceOf(c)} signedIn title="Not allowed" message={message} />, status);

function mayInvite(actor: AdminActor, publisherId: string): boolean {
  return isOperator(actor) || (actor.via === 'person' && actor.role === 'owner' && actor.publisherId === publisherId);
}

async function publishersPage(c: C, values?: { name: string; hosts: string }, errors?: FieldErrors) {
  const bps = platformFeeBps(c.env);
  const thisMonth = utcDay(Date.now()).slice(0, 7);
  const rows = [];
  for (const publisher of await publisherRegistry(c.env).list()) {
    const owed = bps === null ? null : await amountOwed(c.env, publisher, bps, thisMonth);
    rows.push({ publisher, owed: owed?.ok ? owed.owed : null });
  }
  return (
    <PublishersPage nonce={nonceOf(c)} rows={rows} months={monthsToList()} newForm={<NewPublisherForm values={values} errors={errors} />} />
  );
}

async function publisherPage(
  c: C,
  publisher: Publisher,
  inviteValues?: { name: string; role: string },
  inviteErrors?: FieldErrors,
  more: { hostValue?: string; hostError?: string; claimErrors?: Record<string, string>; notice?: string } = {},
) {
  const registry = publisherRegistry(c.env);
  const actor = c.var.admin;
  const [people, invites, claims, passkeys] = await Promise.all([
    registry.people(publisher.publisherId),
    registry.invites(publisher.publisherId),
    registry.claims(publisher.publisherId),
    actor.via === 'person' ? registry.personPasskeys(actor.personId) : Promise.resolve(null),
  ]);
  return (
    <PublisherPage
      {...more}
      claims={claims}
      me={actor.via === 'person' && passkeys ? { personId: actor.personId, passkeys } : null}
      operator={isOperator(c.var.admin)}
      nonce={nonceOf(c)}
      publisher={publisher}
      people={people}
      invites={invites}
      mayInvite={mayInvite(c.var.admin, publisher.publisherId)}
      months={monthsToList()}
      inviteValues={inviteValues}
      inviteErrors={inviteErrors}
    />
  );
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
