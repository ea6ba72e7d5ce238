import type { KeyHolder, PersonHolder } from '../publishers/publisher-types';

/**
 * Who makes an admin call: the operator, with the ADMIN_TOKEN bearer token (`api`) or a
 * console session signed in with it (`console`); a publisher's API key; or one of a
 * publisher's people, signed in to the console with a passkey (`person`). The last two
 * carry the hosts their publisher owns at the moment of the call, and are scoped to them
 * alike (admin-scope.ts).
 */
export type AdminActor =
  | { via: 'api' }
  | { via: 'console'; sessionId: string }
  | ({ via: 'publisher_key' } & KeyHolder)
  | ({ via: 'person'; sessionId: string } & PersonHolder);

/** The actor as the audit log keeps it: enough to say who, never a secret. */
export type AuditActor =
  | { type: 'operator'; via: 'api' | 'console' }
  | { type: 'publisher_key'; publisherId: string; publisherName: string; keyId: string; keyName: string }
  | { type: 'person'; publisherId: string; publisherName: string; personId: string; personName: string; role: PersonHolder['role'] };

export function auditActorOf(actor: AdminActor): AuditActor {
  if (actor.via === 'person') {
    return {
      type: 'person',
      publisherId: actor.publisherId,
      publisherName: actor.publisherName,
      personId: actor.personId,
      personName: actor.personName,
      role: actor.role,
    };
  }
  if (actor.via !== 'publisher_key') return { type: 'operator', via: actor.via };
  return {
    type: 'publisher_key',
    publisherId: actor.publisherId,
    publisherName: actor.publisherName,
    keyId: actor.keyId,
    keyName: actor.keyName,
  };
}

/** The publisher an actor is confined to, with its hosts; null for the operator. */
export function publisherScopeOf(actor: AdminActor): { publisherId: string; hosts: string[] } | null {
  return actor.via === 'publisher_key' || actor.via === 'person' ? { publisherId: actor.publisherId, hosts: actor.hosts } : null;
}
