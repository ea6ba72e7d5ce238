import { isReaderId } from '../reader/reader-token';
import { walletOf } from '../wallet/wallet-stub';
import { openChallenge } from './challenge-cookie';
import { checkAuthentication, checkRegistration, parseAuthentication, parseRegistration, userHandleText } from './webauthn';

/**
 * Verifying what the browser sent back from `navigator.credentials.create()` / `.get()`
 * for a reader's wallet: the WebAuthn checks are webauthn.ts's (shared with the
 * console's people); the passkeys, and the single use of each challenge, are the wallet's.
 */
export type RegistrationResult = { ok: true; credentialId: string } | { ok: false; reason: RegistrationRefusal };
export type RegistrationRefusal =
  | 'malformed'
  | 'bad_challenge'
  | 'not_verified'
  | 'challenge_used'
  | 'already_registered'
  | 'too_many_passkeys'
  | 'no_such_reader';

export type SignInResult = { ok: true; readerId: string } | { ok: false; reason: SignInRefusal };
export type SignInRefusal =
  | 'malformed'
  | 'bad_challenge'
  | 'unknown_credential'
  | 'not_verified'
  | 'challenge_used'
  | 'counter_not_increased';

export const MAX_PASSKEY_NAME = 60;

export async function verifyPasskeyRegistration(
  env: Env,
  args: { response: unknown; sealedChallenge: unknown; expectedOrigin: string; rpID: string; readerId: string; name?: string },
  now = Date.now(),
): Promise<RegistrationResult> {
  const parsed = parseRegistration(args.response);
  if (!parsed) return { ok: false, reason: 'malformed' };
  const sealed = await openChallenge(env, args.sealedChallenge, 'register', now);
  // The challenge was issued to this reader's session: another reader cannot finish it.
  if (!sealed || sealed.readerId !== args.readerId) return { ok: false, reason: 'bad_challenge' };
  const info = await checkRegistration({
    response: parsed,
    expectedChallenge: sealed.challenge,
    expectedOrigin: args.expectedOrigin,
    rpID: args.rpID,
  });
  if (!info) return { ok: false, reason: 'not_verified' };

  const result = await walletOf(env, args.readerId).addPasskey({
    id: info.id,
    publicKey: info.publicKey,
    counter: info.counter,
    transports: info.transports,
    deviceType: info.deviceType,
    backedUp: info.backedUp,
    name: passkeyName(args.name),
    challenge: sealed.challenge,
    challengeExpiresAt: sealed.expiresAt,
  });
  return result.ok ? { ok: true, credentialId: info.id } : { ok: false, reason: result.reason };
}

export async function verifyPasskeySignIn(
  env: Env,
  args: { response: unknown; sealedChallenge: unknown; expectedOrigin: string; rpID: string },
  now = Date.now(),
): Promise<SignInResult> {
  const parsed = parseAuthentication(args.response);
  if (!parsed) return { ok: false, reason: 'malformed' };
  const sealed = await openChallenge(env, args.sealedChallenge, 'sign-in', now);
  if (!sealed) return { ok: false, reason: 'bad_challenge' };
  const handle = userHandleText(parsed.response.userHandle);
  const readerId = handle !== null && isReaderId(handle) ? handle : null;
  if (!readerId) return { ok: false, reason: 'unknown_credential' };

  const wallet = walletOf(env, readerId);
  const stored = await wallet.passkeyFor(parsed.id);
  if (!stored) return { ok: false, reason: 'unknown_credential' };
  const credential = {
    id: stored.id,
    publicKey: new Uint8Array(stored.publicKey),
    counter: stored.counter,
    transports: stored.transports ?? [],
  };
  const checked = await checkAuthentication({
    response: parsed,
    expectedChallenge: sealed.challenge,
    expectedOrigin: args.expectedOrigin,
    rpID: args.rpID,
    credential,
  });
  if (!checked) return { ok: false, reason: 'not_verified' };
  const { newCounter, backedUp } = checked;

  const used = await wallet.usePasskey({
    credentialId: credential.id,
    newCounter,
    backedUp,
    challenge: sealed.challenge,
    challengeExpiresAt: sealed.expiresAt,
  });
  return used.ok ? { ok: true, readerId } : { ok: false, reason: used.reason };
}

function passkeyName(name: string | undefined): string {
  // Control characters would only confuse the list the reader manages passkeys from.
  const clean = (name ?? '')
    .replace(/[\p{Cc}\p{Cf}]/gu, '')
    .trim()
    .slice(0, MAX_PASSKEY_NAME);
  return clean || 'Passkey';
}
