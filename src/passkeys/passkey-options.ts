import {
  generateAuthenticationOptions,
  generateRegistrationOptions,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
} from '@simplewebauthn/server';

/**
 * What the browser passes to `navigator.credentials.create()` to add a passkey to the
 * reader's wallet. The passkey is discoverable (resident) and its user handle is the
 * reader id, so that signing in needs no username: the passkey itself names the wallet.
 * No attestation: we trust the passkey, not the make of the authenticator.
 */
export function registrationOptions(args: {
  rpID: string;
  rpName: string;
  /** The user handle: the reader id, or for the console (src/admin/console-passkeys.ts) the person id. */
  readerId: string;
  existingCredentialIds: string[];
  /** Shown by the browser's passkey manager beside the site; defaults to the wallet's name. */
  userName?: string;
}): Promise<PublicKeyCredentialCreationOptionsJSON> {
  return generateRegistrationOptions({
    rpID: args.rpID,
    rpName: args.rpName,
    userID: new Uint8Array(new TextEncoder().encode(args.readerId)),
    userName: args.userName ?? `${args.rpName} wallet`,
    attestationType: 'none',
    // A second passkey on the same authenticator would only shadow the first.
    excludeCredentials: args.existingCredentialIds.map((id) => ({ id })),
    authenticatorSelection: { residentKey: 'required', userVerification: 'preferred' },
  });
}

/** What the browser passes to `navigator.credentials.get()`: any passkey for this site, the reader picks. */
export function authenticationOptions(args: { rpID: string }): Promise<PublicKeyCredentialRequestOptionsJSON> {
  return generateAuthenticationOptions({ rpID: args.rpID, allowCredentials: [], userVerification: 'preferred' });
}
