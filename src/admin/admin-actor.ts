import type { KeyHolder } from '../publishers/publisher-types';

/**
 * Who makes an admin call: the operator, with the ADMIN_TOKEN bearer token (`api`) or a
 * signed-in console session (`console`), or a publisher's API key, with the hosts its
 * publisher owns at the moment of the call.
 */
export type AdminActor = { via: 'api' } | { via: 'console'; sessionId: string } | ({ via: 'publisher_key' } & KeyHolder);

/** The actor as the audit log keeps it: enough to say who, never a secret. */
export type AuditActor =
  | { type: 'operator'; via: 'api' | 'console' }
  | { type: 'publisher_key'; publisherId: string; publisherName: string; keyId: string; keyName: string };

export function auditActorOf(actor: AdminActor): AuditActor {
  if (actor.via !== 'publisher_key') return { type: 'operator', via: actor.via };
  return { type: 'publisher_key', publisherId: actor.publisherId, publisherName: actor.publisherName, keyId: actor.keyId, keyName: actor.keyName };
}
