import { Hono, type Context } from 'hono';
import { z } from 'zod';
import { isOperator } from '../admin/admin-scope';
import { recordChange } from '../admin/audit-stub';
import { HOST } from '../admin/site-routes';
import type { AppEnv } from '../http/app-types';
import { hostKindOf } from '../http/hosts';
import { jsonError, validated } from '../http/json-errors';
import { randomId } from './api-key';
import { PUBLISHER_ID } from './publisher-routes';
import { publisherRegistry } from './publisher-stub';
import type { HostClaim } from './publisher-types';

export const VERIFICATION_PATH = '/.well-known/paywall-verification';
const VERIFY_TIMEOUT_MS = 5000;
const MAX_ANSWER_BYTES = 1024;

export type ClaimOutcome =
  | { ok: true; status: 'pending'; claim: HostClaim }
  | { ok: true; status: 'added' }
  | { ok: false; status: 400 | 403 | 404 | 409; error: string; message: string };

const refusal = (status: 400 | 403 | 404 | 409, error: string, message: string): ClaimOutcome => ({ ok: false, status, error, message });

/**
 * A publisher asks for a host. A host another publisher owns is refused; one nobody owns
 * is only claimed: its rules cannot be written (admin-scope.ts allows a publisher only
 * the hosts it owns) until its origin serves the claim's token at
 * /.well-known/paywall-verification (verifyHost). A claim not proved in 7 days ends
 * (CLAIM_LIFETIME_MS): a token found years later in an old origin proves nothing. The operator may add it at once
 * (`skipCheck`), vouching for the publisher as it does when it creates one.
 */
export async function claimHost(c: Context<AppEnv>, publisherId: string, host: string, skipCheck: boolean): Promise<ClaimOutcome> {
  if (!HOST.test(host)) return refusal(400, 'invalid_request', 'host: must be a lower-case host name, with :port if not the default');
  if (hostKindOf(c.env, `http://${host}/`) !== 'publisher')
    return refusal(400, 'invalid_request', 'host: the wallet host and the admin host serve no publisher content');
  const registry = publisherRegistry(c.env);
  if (skipCheck) {
    if (!isOperator(c.var.admin)) return refusal(403, 'forbidden', 'skipCheck: only the operator may add a host without proof');
    const added = await registry.addHost(publisherId, host);
    if (!added.ok) return refusalOf(added.reason, host);
    await recordChange(c, {
      action: 'publisher.host.verify',
      publisherId,
      host,
      before: null,
      after: JSON.stringify({ host, checked: false }),
    });
    return { ok: true, status: 'added' };
  }
  const claimed = await registry.claimHost(publisherId, host, randomId('pv_') + randomId(''));
  if (!claimed.ok) return refusalOf(claimed.reason, host);
  await recordChange(c, { action: 'publisher.host.claim', publisherId, host, before: null, after: JSON.stringify({ host }) });
  return { ok: true, status: 'pending', claim: claimed.claim };
}

function refusalOf(reason: 'no_such_publisher' | 'host_taken' | 'already_yours', host: string): ClaimOutcome {
  if (reason === 'no_such_publisher') return refusal(404, 'publisher_not_found', 'No publisher with this id.');
  if (reason === 'already_yours') return refusal(409, 'host_already_yours', `host: ${host} is already one of this publisher's hosts`);
  return refusal(409, 'host_taken', `host: ${host} belongs to another publisher`);
}

export type VerifyOutcome = { ok: true } | { ok: false; status: 400 | 404 | 409; error: string; message: string };

/**
 * Proves a claim: the worker fetches `<origin>/.well-known/paywall-verification` (no
 * redirects followed, 5 s at most) and the answer must be the claim's token. Then the
 * host is the publisher's, and every other claim on it ends.
 */
export async function verifyHost(c: Context<AppEnv>, publisherId: string, host: string, origin: string): Promise<VerifyOutcome> {
  const registry = publisherRegistry(c.env);
  const claim = HOST.test(host) ? await registry.claimOf(publisherId, host) : null;
  if (!claim) return { ok: false, status: 404, error: 'claim_not_found', message: `host: ${host} has no claim by this publisher` };
  const url = originUrl(origin);
  if (!url)
    return {
      ok: false,
      status: 400,
      error: 'invalid_request',
      message: 'origin: must be an http: or https: URL without credentials, query or fragment',
    };
  const answer = await fetchToken(url + VERIFICATION_PATH);
  if (answer !== claim.token) {
    const said = answer === null ? 'did not answer 200 in time' : 'answered something else than the token';
    return { ok: false, status: 400, error: 'verification_failed', message: `${url}${VERIFICATION_PATH} ${said}; nothing was changed` };
  }
  const added = await registry.addHost(publisherId, host);
  if (!added.ok) {
    const r = refusalOf(added.reason, host) as { status: 404 | 409; error: string; message: string };
    return { ok: false, status: r.status, error: r.error, message: r.message };
  }
  await recordChange(c, {
    action: 'publisher.host.verify',
    publisherId,
    host,
    before: null,
    after: JSON.stringify({ host, checked: true, origin: url }),
  });
  return { ok: true };
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
    if (!publisher) return jsonError(c, 404, 'publisher_not_found', 'No publisher with this id.');
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
      if (!PUBLISHER_ID.test(publisherParam(c))) return jsonError(c, 404, 'publisher_not_found', 'No publisher with this id.');
      const { host, skipCheck } = c.req.valid('json');
      const outcome = await claimHost(c, publisherParam(c), host, skipCheck ?? false);
      if (!outcome.ok)
        return jsonError(
          c,
          outcome.status,
          outcome.error,
          outcome.message,
          outcome.status === 404 ? {} : { field: outcome.error === 'forbidden' ? 'skipCheck' : 'host' },
        );
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
      if (!PUBLISHER_ID.test(publisherParam(c))) return jsonError(c, 404, 'publisher_not_found', 'No publisher with this id.');
      const host = c.req.param('host');
      const outcome = await verifyHost(c, publisherParam(c), host, c.req.valid('json').origin);
      if (!outcome.ok)
        return jsonError(c, outcome.status, outcome.error, outcome.message, outcome.error === 'invalid_request' ? { field: 'origin' } : {});
      return c.json({ host, status: 'added' });
    },
  );
