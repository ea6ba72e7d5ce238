import { Hono, type Context } from 'hono';
import { AppError } from '../http/app-error';
import { z } from 'zod';
import { isOperator } from '../admin/admin-scope';
import { recordChange } from '../admin/audit-stub';
import { HOST } from '../admin/site-routes';
import type { AppEnv } from '../http/app-types';
import { hostKindOf } from '../http/hosts';
import { validated } from '../http/json-errors';
import { randomId } from './api-key';
import { PUBLISHER_ID, publisherNotFound } from './publisher-routes';
import { publisherRegistry } from './publisher-stub';
import type { HostClaim } from './publisher-types';

export const VERIFICATION_PATH = '/.well-known/paywall-verification';
const VERIFY_TIMEOUT_MS = 5000;
const MAX_ANSWER_BYTES = 1024;

export type ClaimOutcome = { status: 'pending'; claim: HostClaim } | { status: 'added' };

const badHost = (message: string) => new AppError('invalid_request', message, { field: 'host' });

/**
 * A publisher asks for a host. A host another publisher owns is refused; one nobody owns
 * is only claimed: its rules cannot be written (admin-scope.ts allows a publisher only
 * the hosts it owns) until its origin serves the claim's token at
 * /.well-known/paywall-verification (verifyHost). A claim not proved in 7 days ends
 * (CLAIM_LIFETIME_MS): a token found years later in an old origin proves nothing. The operator may add it at once
 * (`skipCheck`), vouching for the publisher as it does when it creates one. A claim that
 * cannot be made is an AppError naming the field at fault, and nothing is written.
 */
export async function claimHost(c: Context<AppEnv>, publisherId: string, host: string, skipCheck: boolean): Promise<ClaimOutcome> {
  if (!HOST.test(host)) throw badHost('host: must be a lower-case host name, with :port if not the default');
  if (hostKindOf(c.env, `http://${host}/`) !== 'publisher')
    throw badHost('host: the wallet host and the admin host serve no publisher content');
  const registry = publisherRegistry(c.env);
  if (skipCheck) {
    if (!isOperator(c.var.admin))
      throw new AppError('forbidden', 'skipCheck: only the operator may add a host without proof', { field: 'skipCheck' });
    const added = await registry.addHost(publisherId, host);
    if (!added.ok) throw refusalOf(added.reason, host, true);
    await recordChange(c, {
      action: 'publisher.host.verify',
      publisherId,
      host,
      before: null,
      after: JSON.stringify({ host, checked: false }),
    });
    return { status: 'added' };
  }
  const claimed = await registry.claimHost(publisherId, host, randomId('pv_') + randomId(''));
  if (!claimed.ok) throw refusalOf(claimed.reason, host, true);
  await recordChange(c, { action: 'publisher.host.claim', publisherId, host, before: null, after: JSON.stringify({ host }) });
  return { status: 'pending', claim: claimed.claim };
}

/** The registry's refusal as an answer; a claim names `host` as the field at fault, a proof (which names no host in its body) does not. */
function refusalOf(reason: 'no_such_publisher' | 'host_taken' | 'already_yours', host: string, claiming: boolean): AppError {
  if (reason === 'no_such_publisher') return publisherNotFound();
  const field = claiming ? { field: 'host' } : {};
  if (reason === 'already_yours')
    return new AppError('host_already_yours', `host: ${host} is already one of this publisher's hosts`, field);
  return new AppError('host_taken', `host: ${host} belongs to another publisher`, field);
}

/**
 * Proves a claim: the worker fetches `<origin>/.well-known/paywall-verification` (no
 * redirects followed, 5 s at most) and the answer must be the claim's token. Then the
 * host is the publisher's, and every other claim on it ends. A proof that fails is an
 * AppError, and nothing is changed.
 */
export async function verifyHost(c: Context<AppEnv>, publisherId: string, host: string, origin: string): Promise<void> {
  const registry = publisherRegistry(c.env);
  const claim = HOST.test(host) ? await registry.claimOf(publisherId, host) : null;
  if (!claim) throw new AppError('claim_not_found', `host: ${host} has no claim by this publisher`);
  const url = originUrl(origin);
  if (!url)
    throw new AppError('invalid_request', 'origin: must be an http: or https: URL without credentials, query or fragment', {
      field: 'origin',
    });
  const answer = await fetchToken(url + VERIFICATION_PATH);
  if (answer !== claim.token) {
    const said = answer === null ? 'did not answer 200 in time' : 'answered something else than the token';
    throw new AppError('verification_failed', `${url}${VERIFICATION_PATH} ${said}; nothing was changed`);
  }
  const added = await registry.addHost(publisherId, host);
  if (!added.ok) throw refusalOf(added.reason, host, false);
  await recordChange(c, {
    action: 'publisher.host.verify',
    publisherId,
    host,
    before: null,
    after: JSON.stringify({ host, checked: true, origin: url }),
  });
}

function originUrl(text: string): string | null {
  if (typeof text !== 'string' || text.length > 2000 || !URL.canParse(text)) return null;
  const u = new URL(text);
  if (!/^https?:$/.test(u.protocol) || u.username || u.password || u.search || u.hash) return null;
  return (u.origin + u.pathname).replace(/\/+$/, '');
}

async function fetchToken(url: string): Promise<string | null> {
  try {
    const res = await fetch(url, { redirect: 'manual', signal: AbortSignal.timeout(VERIFY_TIMEOUT_MS), headers: { accept: 'text/plain' } });
    if (res.status !== 200 || !res.body) {
      await res.body?.cancel();
      return null;
    }
    const reader = res.body.getReader();
    const chunks: Uint8Array[] = [];
    let size = 0;
    while (size <= MAX_ANSWER_BYTES) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.length;
    }
    await reader.cancel().catch(() => {});
    if (size > MAX_ANSWER_BYTES) return null;
    const bytes = new Uint8Array(size);
    let at = 0;
    for (const chunk of chunks) {
      bytes.set(chunk, at);
      at += chunk.length;
    }
    return new TextDecoder().decode(bytes).trim();
  } catch {
    return null;
  }
}

const publisherParam = (c: Context<AppEnv>) => c.req.param('publisherId') ?? '';

/** `POST /publishers/:id/hosts`, `POST /publishers/:id/hosts/:host/verify`, `GET /publishers/:id/hosts` (scope: admin-scope.ts). */
export const hostClaimRoutes = new Hono<AppEnv>()
  .get('/publishers/:publisherId/hosts', async (c) => {
    const publisher = PUBLISHER_ID.test(publisherParam(c)) ? await publisherRegistry(c.env).get(publisherParam(c)) : null;
    if (!publisher) throw publisherNotFound();
    return c.json({ hosts: publisher.hosts, claims: await publisherRegistry(c.env).claims(publisher.publisherId) });
  })
  .post(
    '/publishers/:publisherId/hosts',
    validated(
      'json',
      z.strictObject({
        host: z
          .string({ error: 'is required, as a host name' })
          .regex(HOST, { error: 'must be a lower-case host name, with :port if not the default' }),
        skipCheck: z.boolean().optional(),
      }),
    ),
    async (c) => {
      if (!PUBLISHER_ID.test(publisherParam(c))) throw publisherNotFound();
      const { host, skipCheck } = c.req.valid('json');
      const outcome = await claimHost(c, publisherParam(c), host, skipCheck ?? false);
      if (outcome.status === 'added') return c.json({ host, status: 'added' }, 201);
      return c.json(
        { host, status: 'pending', token: outcome.claim.token, path: VERIFICATION_PATH, expiresAt: outcome.claim.expiresAt },
        202,
      );
    },
  )
  .post(
    '/publishers/:publisherId/hosts/:host/verify',
    validated('json', z.strictObject({ origin: z.string({ error: 'is required, as the URL of the site\u2019s origin' }) })),
    async (c) => {
      if (!PUBLISHER_ID.test(publisherParam(c))) throw publisherNotFound();
      const host = c.req.param('host');
      await verifyHost(c, publisherParam(c), host, c.req.valid('json').origin);
      return c.json({ host, status: 'added' });
    },
  );
