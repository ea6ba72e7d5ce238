import { Hono, type Context } from 'hono';
import { AppError, type ErrorCode } from '../http/app-error';
import { jsonBody, rpIdOf, setChallengeCookie } from '../passkeys/passkey-http';
import { deleteCookie, getCookie } from 'hono/cookie';
import type { AppEnv } from '../http/app-types';
import { sameOriginWrites } from '../http/same-origin-writes';
import { openChallenge, PERSON_ID, sealChallenge } from '../passkeys/challenge-cookie';
import { authenticationOptions, registrationOptions } from '../passkeys/passkey-options';
import { checkAuthentication, checkRegistration, parseAuthentication, parseRegistration, userHandleText } from '../passkeys/webauthn';
import { apiKeyDigest, randomId } from '../publishers/api-key';
import { publisherRegistry } from '../publishers/publisher-stub';
import type { InviteInfo, Role } from '../publishers/publisher-types';
import { consoleActorOf, startSession } from './admin-session';
import { recordChange } from './audit-stub';
import { signInAllowed } from './sign-in-throttle';

const RP_NAME = 'Paywall console';
const CHALLENGE_COOKIE = 'console_passkey_challenge';
const COOKIE_PATH = '/__paywall/admin/passkeys';
export const CONSOLE_PASSKEYS_PATH = COOKIE_PATH;
/** An invite code: `inv_` and 32 random bytes, base64url. Only its SHA-256 digest is stored. */
export const INVITE_CODE = /^inv_[A-Za-z0-9_-]{43}$/;

/** A fresh invite code (shown once, in the link) and the digest the registry keeps. */
export async function newInviteCode(): Promise<{ code: string; digest: string }> {
  const code = `inv_${bytes43()}`;
  return { code, digest: await apiKeyDigest(code) };
}

function bytes43(): string {
  return btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(32))))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '');
}

export const INVITE_DAYS = 7;

/**
 * An invite for one person to join a publisher as owner or member: a single-use code
 * that expires in 7 days. The link is shown once, to whoever made it; the registry keeps
 * the code's digest. Scope (the operator, or the publisher's own owner) is the caller's.
 */
export async function createInvite(
  c: Context<AppEnv>,
  publisherId: string,
  name: string,
  role: Role,
): Promise<{ ok: true; link: string; invite: InviteInfo } | { ok: false }> {
  const { code, digest } = await newInviteCode();
  const inviteId = randomId('ivt_');
  const made = await publisherRegistry(c.env).createInvite({
    inviteId,
    digest,
    publisherId,
    name,
    role,
    expiresAt: Date.now() + INVITE_DAYS * 86_400_000,
  });
  if (!made.ok) return { ok: false };
  await recordChange(c, { action: 'publisher.invite.create', publisherId, before: null, after: JSON.stringify(made.invite) });
  return { ok: true, link: `${new URL(c.req.url).origin}/__paywall/admin/join/${code}`, invite: made.invite };
}

/** The open invite a code names, or null (not a code, unknown, used, or expired). */
export async function inviteOf(env: Env, code: unknown) {
  if (typeof code !== 'string' || !INVITE_CODE.test(code)) return null;
  return publisherRegistry(env).openInvite(await apiKeyDigest(code));
}

/**
 * `/__paywall/admin/passkeys/*`, the JSON half of the console's passkeys (the page's
 * script, passkeys-script.ts with `data-passkey-endpoint`, calls it): accepting an
 * invite by making a passkey, and signing in with one. The relying party is the admin
 * host, so these passkeys work nowhere else, and are not the readers' wallet passkeys.
 * The WebAuthn checks are the wallet's own (src/passkeys/webauthn.ts); the people and
 * their passkeys are kept in the PublisherRegistry, which makes each challenge and each
 * invite count once.
 */
export const consolePasskeyRoutes = new Hono<AppEnv>()
  .use('*', sameOriginWrites)
  .use('*', async (c, next) => {
    // The console's sign-in is a service that is off (503, as its sign-in page says); the
    // admin API's calls are unauthorised (401, the contract's answer) for the same cause.
    if (!c.env.ADMIN_TOKEN)
      throw new AppError('admin_disabled', 'Console sign-in is turned off: ADMIN_TOKEN is not set on this worker.', { status: 503 });
    if (!(await signInAllowed(c)))
      throw new AppError('rate_limited', 'Too many sign-in attempts from your address. Wait a minute, then try again.');
    return next();
  })
  .post('/register-options', async (c) => {
    const body = await jsonBody(c);
    const invite = await inviteOf(c.env, body.invite);
    if (!invite)
      throw new AppError('invite_invalid', 'This invite link is not valid: it was used already, it expired, or it was mistyped.');
    const personId = randomId('per_');
    const options = await registrationOptions({
      rpID: rpIdOf(c),
      rpName: RP_NAME,
      readerId: personId,
      existingCredentialIds: [],
      userName: `${invite.name} (${invite.publisherName})`,
    });
    setChallengeCookie(
      c,
      CHALLENGE_COOKIE,
      COOKIE_PATH,
      await sealChallenge(c.env, { challenge: options.challenge, purpose: 'console-register', personId }),
    );
    return c.json({ options });
  })
  .post('/register', async (c) => {
    const body = await jsonBody(c);
    const sealed = await openChallenge(c.env, getCookie(c, CHALLENGE_COOKIE), 'console-register');
    deleteCookie(c, CHALLENGE_COOKIE, { path: COOKIE_PATH, secure: true });
    const refuse = (error: ErrorCode, message: string) => new AppError(error, message);
    const invite = typeof body.invite === 'string' && INVITE_CODE.test(body.invite) ? body.invite : null;
    if (!invite) throw refuse('invite_invalid', 'This invite link is not valid.');
    const parsed = parseRegistration(body.response);
    if (!parsed) throw refuse('malformed', 'The passkey was not saved. Try again.');
    if (!sealed?.personId) throw refuse('bad_challenge', 'The passkey was not saved: the request took too long. Try again.');
    const credential = await checkRegistration({
      response: parsed,
      expectedChallenge: sealed.challenge,
      expectedOrigin: new URL(c.req.url).origin,
      rpID: rpIdOf(c),
    });
    if (!credential) throw refuse('not_verified', 'The passkey was not saved. Try again.');
    const accepted = await publisherRegistry(c.env).acceptInvite({
      digest: await apiKeyDigest(invite),
      personId: sealed.personId,
      passkey: {
        id: credential.id,
        publicKey: credential.publicKey,
        counter: credential.counter,
        transports: credential.transports,
        backedUp: credential.backedUp,
      },
      challenge: sealed.challenge,
      challengeExpiresAt: sealed.expiresAt,
    });
    if (!accepted.ok) {
      throw accepted.reason === 'invite_invalid'
        ? refuse('invite_invalid', 'This invite link is not valid any more: it was used already, or it expired.')
        : refuse(accepted.reason, 'The passkey was not saved. Try again.');
    }
    const sessionId = await startSession(c, c.env.ADMIN_TOKEN!, accepted.holder.personId);
    c.set('admin', { via: 'person', sessionId, ...accepted.holder });
    await recordChange(c, {
      action: 'publisher.person.join',
      publisherId: accepted.holder.publisherId,
      before: null,
      after: JSON.stringify({
        personId: accepted.holder.personId,
        name: accepted.holder.personName,
        role: accepted.holder.role,
        passkey: credential.id,
      }),
    });
    return c.json({ ok: true, next: '/__paywall/admin?welcome=1' });
  })
  // A signed-in person adds another passkey (the page's button has data-passkey-endpoint=".../passkeys/mine").
  .post('/mine/register-options', async (c) => {
    const actor = await consoleActorOf(c);
    if (actor?.via !== 'person') throw new AppError('unauthorized', 'Sign in to the console with a passkey first.');
    const existing = await publisherRegistry(c.env).personPasskeys(actor.personId);
    const options = await registrationOptions({
      rpID: rpIdOf(c),
      rpName: RP_NAME,
      readerId: actor.personId,
      existingCredentialIds: existing.map((k) => k.credentialId),
      userName: `${actor.personName} (${actor.publisherName})`,
    });
    setChallengeCookie(
      c,
      CHALLENGE_COOKIE,
      COOKIE_PATH,
      await sealChallenge(c.env, { challenge: options.challenge, purpose: 'console-register', personId: actor.personId }),
    );
    return c.json({ options });
  })
  .post('/mine/register', async (c) => {
    const body = await jsonBody(c);
    const sealed = await openChallenge(c.env, getCookie(c, CHALLENGE_COOKIE), 'console-register');
    deleteCookie(c, CHALLENGE_COOKIE, { path: COOKIE_PATH, secure: true });
    const actor = await consoleActorOf(c);
    if (actor?.via !== 'person') throw new AppError('unauthorized', 'Sign in to the console with a passkey first.');
    const refuse = (error: ErrorCode, message = 'The passkey was not saved. Try again.') => new AppError(error, message);
    const parsed = parseRegistration(body.response);
    if (!parsed) throw refuse('malformed');
    // The challenge was sealed for this very person: another's, or an invite's, does not add a passkey here.
    if (sealed?.personId !== actor.personId)
      throw refuse('bad_challenge', 'The passkey was not saved: the request took too long. Try again.');
    const credential = await checkRegistration({
      response: parsed,
      expectedChallenge: sealed.challenge,
      expectedOrigin: new URL(c.req.url).origin,
      rpID: rpIdOf(c),
    });
    if (!credential) throw refuse('not_verified');
    const added = await publisherRegistry(c.env).addPersonPasskey({
      personId: actor.personId,
      passkey: {
        id: credential.id,
        publicKey: credential.publicKey,
        counter: credential.counter,
        transports: credential.transports,
        backedUp: credential.backedUp,
      },
      challenge: sealed.challenge,
      challengeExpiresAt: sealed.expiresAt,
    });
    if (!added.ok)
      throw refuse(
        added.reason,
        added.reason === 'too_many' ? 'You have as many passkeys as one person may: remove one first.' : undefined,
      );
    c.set('admin', actor);
    await recordChange(c, {
      action: 'publisher.passkey.add',
      publisherId: actor.publisherId,
      before: null,
      after: JSON.stringify({ personId: actor.personId, name: actor.personName, passkey: credential.id }),
    });
    return c.json({ ok: true, next: `/__paywall/admin/publishers/${actor.publisherId}?done=passkey-added#passkeys` });
  })
  .post('/sign-in-options', async (c) => {
    const options = await authenticationOptions({ rpID: rpIdOf(c) });
    setChallengeCookie(
      c,
      CHALLENGE_COOKIE,
      COOKIE_PATH,
      await sealChallenge(c.env, { challenge: options.challenge, purpose: 'console-sign-in' }),
    );
    return c.json({ options });
  })
  .post('/sign-in', async (c) => {
    const body = await jsonBody(c);
    const sealed = await openChallenge(c.env, getCookie(c, CHALLENGE_COOKIE), 'console-sign-in');
    deleteCookie(c, CHALLENGE_COOKIE, { path: COOKIE_PATH, secure: true });
    // A sign-in that fails is a 401, whichever check failed (the same codes refuse a registration with 400).
    const refuse = (error: ErrorCode) =>
      new AppError(error, 'That passkey did not sign you in. Try again, or ask for a new invite.', { status: 401 });
    const parsed = parseAuthentication(body.response);
    if (!parsed) throw refuse('malformed');
    if (!sealed) throw refuse('bad_challenge');
    const personId = userHandleText(parsed.response.userHandle);
    if (personId === null || !PERSON_ID.test(personId)) throw refuse('unknown_credential');
    const registry = publisherRegistry(c.env);
    const stored = await registry.personPasskey(parsed.id);
    if (!stored || stored.personId !== personId) throw refuse('unknown_credential');
    const checked = await checkAuthentication({
      response: parsed,
      expectedChallenge: sealed.challenge,
      expectedOrigin: new URL(c.req.url).origin,
      rpID: rpIdOf(c),
      credential: stored.passkey,
    });
    if (!checked) throw refuse('not_verified');
    const used = await registry.usePersonPasskey({
      personId,
      credentialId: parsed.id,
      newCounter: checked.newCounter,
      challenge: sealed.challenge,
      challengeExpiresAt: sealed.expiresAt,
    });
    if (!used.ok) throw refuse(used.reason);
    await startSession(c, c.env.ADMIN_TOKEN!, personId);
    return c.json({ ok: true, next: safeConsolePath(body.next) });
  });

/** Where to go after signing in: only back into the console. */
export function safeConsolePath(next: unknown): string {
  return typeof next === 'string' && /^\/__paywall\/admin(\/[A-Za-z0-9._~:/?&=%-]*)?$/.test(next) && !next.includes('//')
    ? next
    : '/__paywall/admin';
}
