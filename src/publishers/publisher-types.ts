export type ApiKeyInfo = { keyId: string; name: string; createdAt: string; lastUsedAt: string | null; revokedAt: string | null };

export type Publisher = { publisherId: string; name: string; createdAt: string; hosts: string[]; keys: ApiKeyInfo[] };

/** Who a valid API key belongs to, with the hosts its publisher owns at this moment. */
export type KeyHolder = { publisherId: string; publisherName: string; keyId: string; keyName: string; hosts: string[] };

export type Payout = { payoutId: string; amountMicros: number; paidOn: string; reference: string; recordedAt: string };

export type NewKey = { keyId: string; name: string; digest: string };

export type Role = 'owner' | 'member';

/** Someone who signs in to the console for a publisher, with a passkey. */
export type Person = { personId: string; publisherId: string; name: string; role: Role; createdAt: string; passkeys: number };

/** A signed-in person, with the hosts their publisher owns at this moment: the scope of their console session. */
export type PersonHolder = {
  personId: string;
  personName: string;
  role: Role;
  publisherId: string;
  publisherName: string;
  hosts: string[];
};

export type InviteInfo = {
  inviteId: string;
  name: string;
  role: Role;
  createdAt: string;
  expiresAt: string;
  usedAt: string | null;
  revokedAt: string | null;
};

/** What an unused invite says, before it is accepted. */
export type OpenInvite = { inviteId: string; publisherId: string; publisherName: string; name: string; role: Role; expiresAt: string };

export type PersonPasskey = { id: string; publicKey: Uint8Array; counter: number; transports: string[] };

/** A host a publisher asked for (for 7 days at most), waiting for its origin to serve `token` at /.well-known/paywall-verification. */
export type HostClaim = { host: string; token: string; createdAt: string; expiresAt: string };

/** One of a person's passkeys as the console lists it: never the public key. */
export type PasskeyInfo = { credentialId: string; createdAt: string; lastUsedAt: string | null };
