import type { Context } from 'hono';
import type { AppEnv } from '../http/app-types';
import { auditActorOf } from './admin-actor';
import type { AuditRecord } from './admin-audit';
import { clientOf } from '../http/client-address';

/** The one audit log of the deployment. */
export function auditLog(env: Env) {
  return env.ADMIN_AUDIT.get(env.ADMIN_AUDIT.idFromName('admin-audit'));
}

/** Records a change made by the request's admin (the operator by API or console, a publisher's key, or one of its people). */
export async function recordChange(c: Context<AppEnv>, change: Omit<AuditRecord, 'via' | 'sessionId' | 'client' | 'actor'>): Promise<void> {
  const actor = c.var.admin;
  await auditLog(c.env).record({
    ...change,
    via: actor.via === 'console' || actor.via === 'person' ? 'console' : 'api',
    actor: auditActorOf(actor),
    ...(actor.via === 'console' || actor.via === 'person' ? { sessionId: actor.sessionId } : {}),
    client: clientOf(c),
  });
}
