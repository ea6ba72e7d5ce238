import {
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
  type AuthenticationResponseJSON,
  type RegistrationResponseJSON,
} from '@simplewebauthn/server';
import { z } from 'zod';
import { isReaderId } from '../reader/reader-token';
import { walletOf } from '../wallet/wallet-stub';
import { openChallenge } from './challenge-cookie';

/**
 * Verifying what the browser sent back from `navigator.credentials.create()` / `.get()`.
 * Everything the client sends is untrusted: its shape is checked with zod first, and
 * whatever @simplewebauthn/server throws on (bad base64, bad CBOR, wrong origin or RP
 * ID, bad signature) is a refusal, so that no request body can make a 500.
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
export type SignInRefusal = 'malformed' | 'bad_challenge' | 'unknown_credential' | 'not_verified' | 'challenge_used' | 'counter_not_increased';

export const MAX_PASSKEY_NAME = 60;

const b64url = (max: number) => z.string().min(1).max(max).regex(/^[A-Za-z0-9_-]+={0,2}$/);
// A credential id is at most 1023 bytes (WebAuthn §5.8.3), so at most 1364 base64url characters.
const credentialId = b64url(1400);
const common = {
  id: credentialId,
  rawId: credentialId,
  type: z.literal('public-key'),
  authenticatorAttachment: z.enum(['platform', 'cross-platform']).optional(),
  clientExtensionResults: z.record(z.string(), z.unknown()),
};

const registrationResponse = z.object({
  ...common,
  response: z.object({
    clientDataJSON: b64url(8192),
    attestationObject: b64url(32768),
    transports: z.array(z.string().max(32)).max(10).optional(),
  }),
});

const authenticationResponse = z.object({
  ...common,
  response: z.object({
    clientDataJSON: b64url(8192),
    authenticatorData: b64url(8192),
    signature: b64url(2048),
    // A discoverable credential always returns it, and it names the wallet.
    userHandle: b64url(200),
  }),
});

export async function verifyPasskeyRegistration(
  env: Env,
  args: { response: unknown; sealedChallenge: unknown; expectedOrigin: string; rpID: string; readerId: string; name?: string },
  now = Date.now(),
): Promise<RegistrationResult> {
  const parsed = registrationResponse.safeParse(args.response);
  if (!parsed.success) return { ok: false, reason: 'malformed' };
  const sealed = await openChallenge(env, args.sealedChallenge, 'register', now);
  // The challenge was issued to this reader's session: another reader cannot finish it.
  if (!sealed || sealed.readerId !== args.readerId) return { ok: false, reason: 'bad_challenge' };

  let info;
  try {
    const verified = await verifyRegistrationResponse({
      response: parsed.data as RegistrationResponseJSON,
      expectedChallenge: sealed.challenge,
      expectedOrigin: args.expectedOrigin,
      expectedRPID: args.rpID,
      // The options ask for user verification as 'preferred', so its absence is not a refusal.
      requireUserVerification: false,
    });
    if (!verified.verified) return { ok: false, reason: 'not_verified' };
    info = verified.registrationInfo;
  } catch {
    return { ok: false, reason: 'not_verified' };
  }

  const result = await walletOf(env, args.readerId).addPasskey({
    id: info.credential.id,
    publicKey: info.credential.publicKey,
    counter: info.credential.counter,
    transports: parsed.data.response.transports ?? [],
    deviceType: info.credentialDeviceType,
    backedUp: info.credentialBackedUp,
    name: passkeyName(args.name),
    challenge: sealed.challenge,
    challengeExpiresAt: sealed.expiresAt,
  });
  return result.ok ? { ok: true, credentialId: info.credential.id } : { ok: false, reason: result.reason };
}

export async function verifyPasskeySignIn(
  env: Env,
  args: { response: unknown; sealedChallenge: unknown; expectedOrigin: string; rpID: string },
  now = Date.now(),
): Promise<SignInResult> {
  const parsed = authenticationResponse.safeParse(args.response);
  if (!parsed.success) return { ok: false, reason: 'malformed' };
  const sealed = await openChallenge(env, args.sealedChallenge, 'sign-in', now);
  if (!sealed) return { ok: false, reason: 'bad_challenge' };
  const readerId = readerIdOf(parsed.data.response.userHandle);
  if (!readerId) return { ok: false, reason: 'unknown_credential' };

  const wallet = walletOf(env, readerId);
  const stored = await wallet.passkeyFor(parsed.data.id);
  if (!stored) return { ok: false, reason: 'unknown_credential' };
  const credential = { id: stored.id, publicKey: new Uint8Array(stored.publicKey), counter: stored.counter, transports: stored.transports };

  let newCounter: number;
  let backedUp: boolean;
  try {
    const verified = await verifyAuthenticationResponse({
      response: parsed.data as AuthenticationResponseJSON,
      expectedChallenge: sealed.challenge,
      expectedOrigin: args.expectedOrigin,
      expectedRPID: args.rpID,
      credential,
      requireUserVerification: false,
    });
    if (!verified.verified) return { ok: false, reason: 'not_verified' };
    newCounter = verified.authenticationInfo.newCounter;
    backedUp = verified.authenticationInfo.credentialBackedUp;
  } catch {
    return { ok: false, reason: 'not_verified' };
  }

  const used = await wallet.usePasskey({
    credentialId: credential.id,
    newCounter,
    backedUp,
    challenge: sealed.challenge,
    challengeExpiresAt: sealed.expiresAt,
  });
  return used.ok ? { ok: true, readerId } : { ok: false, reason: used.reason };
}

/** The reader a user handle names (registrationOptions sets it to the reader id's UTF-8), or null. */
function readerIdOf(userHandle: string): string | null {
  try {
    const bin = atob(userHandle.replace(/=+$/, '').replace(/-/g, '+').replace(/_/g, '/'));
    const text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(Uint8Array.from(bin, (c) => c.charCodeAt(0)));
    return isReaderId(text) ? text : null;
  } catch {
    return null;
  }
}

function passkeyName(name: string | undefined): string {
  // Control characters would only confuse the list the reader manages passkeys from.
  const clean = (name ?? '').replace(/[\p{Cc}\p{Cf}]/gu, '').trim().slice(0, MAX_PASSKEY_NAME);
  return clean || 'Passkey';
}
