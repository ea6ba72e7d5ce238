import { Hono } from 'hono';
import { AppError } from '../http/app-error';
import { z } from 'zod';
import type { AppEnv } from '../http/app-types';
import { validated } from '../http/json-errors';
import { publisherScopeOf, type AdminActor } from './admin-actor';
import type { AuditEntry, AuditScope } from './admin-audit';
import { mayUseHost } from './admin-scope';
import { auditLog } from './audit-stub';

const hostParam = z.string().regex(/^[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:\d{1,5})?$/, { error: 'must be a lower-case host name' });

/** An entry as JSON: stored documents are shown parsed, or as their raw text when they were not JSON. */
export function presentEntry(entry: AuditEntry) {
  return { ...entry, before: parsedOrText(entry.before), after: parsedOrText(entry.after) };
}

function parsedOrText(doc: AuditEntry['before']): unknown {
  if (typeof doc !== 'string') return doc;
  try {
    return JSON.parse(doc);
  } catch {
    return doc;
  }
}

/** What of the log a caller may see: all of it (the operator), or a publisher's hosts and its own records. */
export function scopeOf(actor: AdminActor): AuditScope | undefined {
  return publisherScopeOf(actor) ?? undefined;
}

function mayRead(actor: AdminActor, entry: AuditEntry): boolean {
  const scope = scopeOf(actor);
  return !scope || (entry.host !== null && scope.hosts.includes(entry.host)) || entry.publisherId === scope.publisherId;
}

const forbidden = () => new AppError('forbidden', 'This API key may read only its own publisher\u2019s audit entries.');

export const auditRoutes = new Hono<AppEnv>()
  .get(
    '/audit',
    validated(
      'query',
      z.object({
        host: hostParam.optional(),
        limit: z.coerce.number().int().min(1).max(100).default(20),
        before: z.coerce.number().int().positive().optional(),
      }),
    ),
    async (c) => {
      const { host, limit, before } = c.req.valid('query');
      if (host && !mayUseHost(c.var.admin, host)) throw forbidden();
      const scope = scopeOf(c.var.admin);
      const page = await auditLog(c.env).list({
        limit,
        ...(host ? { host } : {}),
        ...(before ? { before } : {}),
        ...(scope ? { scope } : {}),
      });
      return c.json({ entries: page.entries.map(presentEntry), nextBefore: page.nextBefore });
    },
  )
  .get('/audit/:id{[0-9]{1,15}}', async (c) => {
    const entry = await auditLog(c.env).get(Number(c.req.param('id')));
    if (!entry) throw new AppError('not_found', 'No audit entry with this id.');
    if (!mayRead(c.var.admin, entry)) throw forbidden();
    return c.json(presentEntry(entry));
  });
