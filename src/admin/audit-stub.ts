import type { Context } from 'hono';
import type { AppEnv } from '../http/app-types';
import type { AuditRecord } from './admin-audit';
import { clientOf } from '../http/client-address';

/** The one audit log of the deployment. */
export function auditLog(env: Env) {
  return env.ADMIN_AUDIT.get(env.ADMIN_AUDIT.idFromName('admin-audit'));
}

/** Records a change made by the request's admin (API or console). */
export async function recordChange(c: Context<AppEnv>, change: Omit<AuditRecord, 'via' | 'sessionId' | 'client'>): Promise<void> {
  const actor = c.var.admin;
  await auditLog(c.env).record({
    ...change,
    via: actor.via,
    ...(actor.via === 'console' ? { sessionId: actor.sessionId } : {}),
    client: clientOf(c),
  });
}
