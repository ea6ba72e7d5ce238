import { Hono } from 'hono';
import { AppError } from '../http/app-error';
import { deleteCookie, getCookie } from 'hono/cookie';
import type { AppEnv } from '../http/app-types';
import { limitPerClient } from '../http/client-limits';
import { hostKindOf } from '../http/hosts';
import { sameOriginWrites } from '../http/same-origin-writes';
import { accountHref } from '../pages/account-page';
import { CHALLENGE_COOKIE, sealChallenge } from '../passkeys/challenge-cookie';
import { authenticationOptions, registrationOptions } from '../passkeys/passkey-options';
import { verifyPasskeyRegistration, verifyPasskeySignIn } from '../passkeys/verify-passkey';
import { jsonBody, rpIdOf, setChallengeCookie } from '../passkeys/passkey-http';
import { walletOf } from '../wallet/wallet-stub';
import { safeNext } from './continuation';
import { signedInReader, signIn } from './wallet-session';

const RP_NAME = 'Reading wallet';
const signInLimit = limitPerClient((env) => env.READER_SIGNUP_LIMITER, 'sign-in attempts');

/**
 * `/__paywall/account/passkeys/*` on the wallet host: the JSON half of passkey sign-in
 * and registration (the page's script calls it). The passkey's relying party is the
 * wallet host itself, so a passkey made here works for no other site. The challenge
 * travels in a short-lived HttpOnly cookie; the wallet makes each one count once.
 */
export const passkeyRoutes = new Hono<AppEnv>()
  .use('*', async (c, next) => {
    if (hostKindOf(c.env, c.req.url) !== 'wallet') throw new AppError('not_found', 'Passkeys live on the wallet host.');
    await next();
  })
  .use('*', sameOriginWrites)
  .use('/sign-in', signInLimit)
  .use('/sign-in-options', signInLimit)
  .post('/register-options', async (c) => {
    const readerId = await signedInReader(c);
    if (!readerId) throw new AppError('unauthorized', 'Sign in to your wallet first.');
    const existing = (await walletOf(c.env, readerId).passkeys()).map((k) => k.id);
    const options = await registrationOptions({ rpID: rpIdOf(c), rpName: RP_NAME, readerId, existingCredentialIds: existing });
    setChallengeCookie(
      c,
      CHALLENGE_COOKIE,
      '/__paywall/account/passkeys',
      await sealChallenge(c.env, { challenge: options.challenge, purpose: 'register', readerId }),
    );
    return c.json({ options });
  })
  .post('/register', async (c) => {
    const readerId = await signedInReader(c);
    if (!readerId) throw new AppError('unauthorized', 'Sign in to your wallet first.');
    const body = await jsonBody(c);
    const result = await verifyPasskeyRegistration(c.env, {
      response: body.response,
      sealedChallenge: getCookie(c, CHALLENGE_COOKIE),
      expectedOrigin: new URL(c.req.url).origin,
      rpID: rpIdOf(c),
      readerId,
      name: deviceName(c.req.header('user-agent')),
    });
    deleteCookie(c, CHALLENGE_COOKIE, { path: '/__paywall/account/passkeys' });
    if (!result.ok) throw new AppError(result.reason, 'The passkey was not saved. Try again.');
    return c.json({ ok: true, next: safeNext(c.env, str(body.next)) ?? accountHref({ notice: 'passkey-added' }) });
  })
  .post('/sign-in-options', async (c) => {
    const options = await authenticationOptions({ rpID: rpIdOf(c) });
    setChallengeCookie(
      c,
      CHALLENGE_COOKIE,
      '/__paywall/account/passkeys',
      await sealChallenge(c.env, { challenge: options.challenge, purpose: 'sign-in' }),
    );
    return c.json({ options });
  })
  .post('/sign-in', async (c) => {
    const body = await jsonBody(c);
    const result = await verifyPasskeySignIn(c.env, {
      response: body.response,
      sealedChallenge: getCookie(c, CHALLENGE_COOKIE),
      expectedOrigin: new URL(c.req.url).origin,
      rpID: rpIdOf(c),
    });
    deleteCookie(c, CHALLENGE_COOKIE, { path: '/__paywall/account/passkeys' });
    // A sign-in that fails is a 401, whichever check failed (the same codes refuse a registration with 400).
    if (!result.ok)
      throw new AppError(result.reason, 'That passkey did not sign you in. Try again, or use your recovery code.', { status: 401 });
    if (!(await signIn(c, result.readerId)))
      throw new AppError('no_such_reader', 'That passkey belongs to no wallet here.', { status: 401 });
    return c.json({ ok: true, next: safeNext(c.env, str(body.next)) ?? accountHref({ notice: 'signed-in' }) });
  });

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

/** A name the reader can tell passkeys apart by: the platform the browser says it runs on. */
function deviceName(userAgent: string | undefined): string {
  const ua = userAgent ?? '';
  const platform = /iPhone|iPad/.test(ua)
    ? 'iPhone or iPad'
    : /Android/.test(ua)
      ? 'Android'
      : /Mac OS X/.test(ua)
        ? 'Mac'
        : /Windows/.test(ua)
          ? 'Windows'
          : /Linux|CrOS/.test(ua)
            ? 'Linux or ChromeOS'
            : 'this device';
  const browser = /Edg\//.test(ua)
    ? 'Edge'
    : /Firefox\//.test(ua)
      ? 'Firefox'
      : /Chrome\//.test(ua)
        ? 'Chrome'
        : /Safari\//.test(ua)
          ? 'Safari'
          : null;
  return browser ? `${browser} on ${platform}` : `Passkey on ${platform}`;
}
