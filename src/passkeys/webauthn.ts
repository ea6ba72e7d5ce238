import {
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
  type AuthenticationResponseJSON,
  type AuthenticatorTransport,
  type CredentialDeviceType,
  type RegistrationResponseJSON,
} from '@simplewebauthn/server';
import { z } from 'zod';

/**
 * The WebAuthn checks every passkey of this worker goes through, the readers' wallet
 * (verify-passkey.ts) and the console's people (src/admin/console-passkeys.ts) alike:
 * the shape of what the browser sent (zod), then @simplewebauthn/server. Where each
 * keeps its passkeys, and how it makes a challenge count once, is the caller's.
 * Whatever the library throws on (bad base64, bad CBOR, wrong origin or RP ID, bad
 * signature) is a refusal, so that no request body can make a 500.
 */
const b64url = (max: number) =>
  z
    .string()
    .min(1)
    .max(max)
    .regex(/^[A-Za-z0-9_-]+={0,2}$/);
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
    // A discoverable credential always returns it, and it names whose passkey it is.
    userHandle: b64url(200),
  }),
});

export type ParsedRegistration = z.infer<typeof registrationResponse>;
export type ParsedAuthentication = z.infer<typeof authenticationResponse>;

export function parseRegistration(response: unknown): ParsedRegistration | null {
  const parsed = registrationResponse.safeParse(response);
  return parsed.success ? parsed.data : null;
}

export function parseAuthentication(response: unknown): ParsedAuthentication | null {
  const parsed = authenticationResponse.safeParse(response);
  return parsed.success ? parsed.data : null;
}

export type NewCredential = {
  id: string;
  publicKey: Uint8Array;
  counter: number;
  transports: string[];
  deviceType: CredentialDeviceType;
  backedUp: boolean;
};

/** A new passkey's public key, when the response answers this challenge for this origin and RP ID. */
export async function checkRegistration(args: {
  response: ParsedRegistration;
  expectedChallenge: string;
  expectedOrigin: string;
  rpID: string;
}): Promise<NewCredential | null> {
  try {
    const verified = await verifyRegistrationResponse({
      response: args.response as RegistrationResponseJSON,
      expectedChallenge: args.expectedChallenge,
      expectedOrigin: args.expectedOrigin,
      expectedRPID: args.rpID,
      // The options ask for user verification as 'preferred', so its absence is not a refusal.
      requireUserVerification: false,
    });
    if (!verified.verified) return null;
    const info = verified.registrationInfo;
    return {
      id: info.credential.id,
      publicKey: info.credential.publicKey,
      counter: info.credential.counter,
      transports: args.response.response.transports ?? [],
      deviceType: info.credentialDeviceType,
      backedUp: info.credentialBackedUp,
    };
  } catch {
    return null;
  }
}

export type StoredCredential = { id: string; publicKey: Uint8Array; counter: number; transports: string[] };

/** The signature checked against the stored public key: the authenticator's new counter, or null. */
export async function checkAuthentication(args: {
  response: ParsedAuthentication;
  expectedChallenge: string;
  expectedOrigin: string;
  rpID: string;
  credential: StoredCredential;
}): Promise<{ newCounter: number; backedUp: boolean } | null> {
  try {
    const verified = await verifyAuthenticationResponse({
      response: args.response as AuthenticationResponseJSON,
      expectedChallenge: args.expectedChallenge,
      expectedOrigin: args.expectedOrigin,
      expectedRPID: args.rpID,
      credential: {
        id: args.credential.id,
        publicKey: new Uint8Array(args.credential.publicKey),
        counter: args.credential.counter,
        transports: args.credential.transports as AuthenticatorTransport[],
      },
      requireUserVerification: false,
    });
    if (!verified.verified) return null;
    return { newCounter: verified.authenticationInfo.newCounter, backedUp: verified.authenticationInfo.credentialBackedUp };
  } catch {
    return null;
  }
}

/** The text a user handle carries (the options set it to an id's UTF-8), or null. */
export function userHandleText(userHandle: string): string | null {
  try {
    const bin = atob(userHandle.replace(/=+$/, '').replace(/-/g, '+').replace(/_/g, '/'));
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(Uint8Array.from(bin, (c) => c.charCodeAt(0)));
  } catch {
    return null;
  }
}
