export type ApiKeyInfo = { keyId: string; name: string; createdAt: string; lastUsedAt: string | null; revokedAt: string | null };

export type Publisher = { publisherId: string; name: string; createdAt: string; hosts: string[]; keys: ApiKeyInfo[] };

/** Who a valid API key belongs to, with the hosts its publisher owns at this moment. */
export type KeyHolder = { publisherId: string; publisherName: string; keyId: string; keyName: string; hosts: string[] };

export type Payout = { payoutId: string; amountMicros: number; paidOn: string; reference: string; recordedAt: string };

export type NewKey = { keyId: string; name: string; digest: string };
