import { isReaderId, signPayload, verifyPayload } from '../reader/reader-token';

/**
 * A WebAuthn challenge carried by the browser between the options and the verification,
 * in a signed value (a cookie), so that nothing is stored for a sign-in that is never
 * finished. The signature binds the purpose (a sign-in challenge cannot finish a
 * registration), the reader a registration is for, and a 2-minute expiry. Signing proves
 * only that we issued it: single use is the wallet's `used_challenges`.
 *
 * `pk1.<purpose>.<challenge>.<readerId or ->.<expiresAtMs>.<hmac>`: six dot-separated
 * parts, so no reader token (three parts) is ever one, nor the other way round.
 */
export type ChallengePurpose = 'register' | 'sign-in' | 'console-register' | 'console-sign-in';

/** A person of a publisher, signing in to the console on the admin host (src/admin/console-passkeys.ts). */
export const PERSON_ID = /^per_[A-Za-z0-9_-]{16}$/;

export type ChallengeData = {
  challenge: string;
  purpose: ChallengePurpose;
  /** The signed-in reader adding a passkey; absent for a sign-in, which learns the reader from the passkey. */
  readerId?: string;
  /** The console's person a registration is for (the console's purposes only). */
  personId?: string;
  expiresAt: number;
};

export const CHALLENGE_LIFETIME_MS = 2 * 60 * 1000;
/** The name the wallet host's routes give the cookie. */
export const CHALLENGE_COOKIE = 'passkey_challenge';

const TAG = 'pk1';
/** @simplewebauthn/server's challenges are 32 random bytes, base64url. */
const CHALLENGE = /^[A-Za-z0-9_-]{16,128}$/;
const PURPOSES: readonly string[] = ['register', 'sign-in', 'console-register', 'console-sign-in'] satisfies ChallengePurpose[];
const forConsole = (purpose: string) => purpose.startsWith('console-');

/** The fourth part: a reader id for the wallet's purposes, a person id for the console's, or `-`. */
function subjectOk(purpose: string, subject: string): boolean {
  return subject === '-' || (forConsole(purpose) ? PERSON_ID.test(subject) : isReaderId(subject));
}

/** `expiresAt` defaults to 2 minutes from `now`. */
export async function sealChallenge(
  env: Env,
  data: { challenge: string; purpose: ChallengePurpose; readerId?: string; personId?: string; expiresAt?: number },
  now = Date.now(),
): Promise<string> {
  if (!CHALLENGE.test(data.challenge)) throw new TypeError('not a WebAuthn challenge');
  const subject = (forConsole(data.purpose) ? data.personId : data.readerId) ?? '-';
  if ((data.readerId !== undefined && data.personId !== undefined) || !subjectOk(data.purpose, subject))
    throw new TypeError('not a reader id or person id for this purpose');
  const payload = [TAG, data.purpose, data.challenge, subject, String(data.expiresAt ?? now + CHALLENGE_LIFETIME_MS)].join('.');
  return `${payload}.${await signPayload(env, payload)}`;
}

/** The challenge, or null when the value is malformed, forged, for another purpose or expired. */
export async function openChallenge(env: Env, value: unknown, purpose: ChallengePurpose, now = Date.now()): Promise<ChallengeData | null> {
  if (typeof value !== 'string' || value.length > 400) return null;
  const parts = value.split('.');
  if (parts.length !== 6) return null;
  const [tag, sealedPurpose, challenge, reader, exp, sig] = parts as [string, string, string, string, string, string];
  if (tag !== TAG || sealedPurpose !== purpose || !PURPOSES.includes(sealedPurpose)) return null;
  if (!CHALLENGE.test(challenge) || !subjectOk(sealedPurpose, reader) || !/^\d{1,15}$/.test(exp)) return null;
  const expiresAt = Number(exp);
  if (expiresAt <= now) return null;
  if (!(await verifyPayload(env, parts.slice(0, 5).join('.'), sig))) return null;
  const subject = reader === '-' ? {} : forConsole(purpose) ? { personId: reader } : { readerId: reader };
  return { challenge, purpose, ...subject, expiresAt };
}
